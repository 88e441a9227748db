package io.kubeha.logapi;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The seed's greeting, the probes and the error answers, from the service running in-process. */
class GreetingTest {
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private LogApi api;
    private String base;

    @BeforeEach
    void start() throws Exception {
        api = new LogApi(LogApiConfig.of("127.0.0.1", 0, "logapi-1223020174-37mbb", "1.0"),
                new PrintStream(logBytes, true, StandardCharsets.UTF_8)).start();
        base = "http://127.0.0.1:" + api.address().getPort();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void greetingIsTheSeedsAnswerExactly() throws Exception {
        HttpResponse<String> r = Http.get(base + "/api/log/greeting");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.body()).isEqualTo(
                "{\"id\":1,\"content\":\"Hello, World! Request from 127.0.0.1 hostname logapi-1223020174-37mbb\",\"version\":\"1.0\"}");
        assertThat(Http.get(base + "/api/log/greeting").body()).startsWith("{\"id\":2,");
    }

    @Test
    void concurrentGreetingsEachGetTheirOwnNumber() throws Exception {
        int n = 200;
        List<Future<String>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) answers.add(pool.submit(() -> Http.get(base + "/api/log/greeting").body()));
        }
        List<Long> ids = new ArrayList<>();
        Pattern id = Pattern.compile("^\\{\"id\":(\\d+),");
        for (Future<String> a : answers) {
            Matcher m = id.matcher(a.get());
            assertThat(m.find()).as(a.get()).isTrue();
            ids.add(Long.parseLong(m.group(1)));
        }
        assertThat(ids).doesNotHaveDuplicates().hasSize(n);
        assertThat(ids.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(n);
        assertThat(Http.get(base + "/api/log/greeting").body()).startsWith("{\"id\":" + (n + 1) + ",");
    }

    @Test
    void probesAnswerAndDoNotCountAsGreetings() throws Exception {
        assertThat(Http.get(base + "/healthz").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = Http.get(base + "/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ok\n");
        assertThat(Http.get(base + "/api/log/greeting").body()).startsWith("{\"id\":1,");
    }

    @Test
    void everyRequestIsOneLogLine() throws Exception {
        Http.get(base + "/api/log/greeting");
        Http.get(base + "/healthz");
        Http.get(base + "/nothing?x=1");
        api.close();
        List<String> lines = logBytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches("\\S+ 127\\.0\\.0\\.1 GET /api/log/greeting 200 \\d+ms");
        assertThat(lines.get(1)).contains(" GET /healthz 200 ");
        assertThat(lines.get(2)).contains(" GET /nothing?x=1 404 ");
    }

    @Test
    void whileStoppingItFailsReadinessButStillServes() throws Exception {
        LogApiConfig c = LogApiConfig.of("127.0.0.1", 0, "logapi-stopping", "1.0");
        LogApiConfig delayed = new LogApiConfig(c.bindHost(), c.port(), c.podName(), c.version(), c.cluster(), c.apiTimeout(),
                Duration.ofMinutes(5), c.drainTimeout());
        try (LogApi stopping = new LogApi(delayed, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).start()) {
            String url = "http://127.0.0.1:" + stopping.address().getPort();
            Thread sigterm = Thread.ofVirtual().start(stopping::shutdown);
            await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(url + "/readyz").statusCode() == 503);
            assertThat(Http.get(url + "/readyz").body()).isEqualTo("stopping\n");
            assertThat(Http.get(url + "/healthz").statusCode()).isEqualTo(200);
            assertThat(Http.get(url + "/api/log/greeting").statusCode()).isEqualTo(200);
            // the delay is cut short here instead of waited out; then the listener closes
            sigterm.interrupt();
            sigterm.join(Duration.ofSeconds(30));
            assertThat(sigterm.isAlive()).isFalse();
            assertThatThrownBy(() -> Http.get(url + "/healthz")).isInstanceOf(java.net.ConnectException.class);
        }
    }

    @Test
    void wrongPathsAndMethodsAreClearJsonErrors() throws Exception {
        HttpResponse<String> missing = Http.get(base + "/api/log/nothing");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).startsWith("{\"status\":404,\"error\":\"Not Found\",\"message\":\"no such endpoint: /api/log/nothing;")
                .contains("/api/log/greeting");

        HttpResponse<String> post = Http.send("POST", base + "/api/log/greeting", "{}");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(post.body()).contains("\"message\":\"POST is not served here");
        // a refused method is no greeting
        assertThat(Http.get(base + "/api/log/greeting").body()).startsWith("{\"id\":1,");
    }

    @Test
    void withoutAnApiServerTheClusterEndpointsSaySo() throws Exception {
        HttpResponse<String> r = Http.get(base + "/api/log/events?namespace=default");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("no Kubernetes API to read from").contains("KUBECONFIG");
    }

    @Test
    void jsonStringsAreEscaped() {
        assertThat(Json.quote("a\"b\\c\nd\u0001")).isEqualTo("\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
