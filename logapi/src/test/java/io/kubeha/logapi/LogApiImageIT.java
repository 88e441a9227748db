package io.kubeha.logapi;

import com.sun.net.httpserver.HttpServer;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The built images as real processes ({@code java -jar}), queried over HTTP as a client of the pod would. */
class LogApiImageIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @ParameterizedTest
    @ValueSource(strings = {"1.0", "2.0"})
    void eachImageAnswersWithItsVersion(String version) throws Exception {
        int port = Ports.free(InetAddress.getLoopbackAddress());
        try (ImageProcess p = ImageProcess.start(version, Map.of("POD_IP", "127.0.0.1", "PORT", String.valueOf(port),
                "POD_NAME", "logapi-1223020174-37mbb"))) {
            String listening = p.awaitLine(" listening on ", WAIT);
            assertThat(listening).as("stderr: %s", p.stderrText()).isNotNull();
            long toListening = (System.nanoTime() - p.startedNanos) / 1_000_000;
            assertThat(listening).contains("logapi " + version + " listening on 127.0.0.1:" + port + " as logapi-1223020174-37mbb");

            HttpResponse<String> r = Http.get("http://127.0.0.1:" + port + "/api/log/greeting");
            long toFirstAnswer = (System.nanoTime() - p.startedNanos) / 1_000_000;
            // a measurement for the log, not an assertion: timing belongs to benchmarks
            System.out.println("logapi " + version + " image: listening " + toListening + " ms after exec, first greeting answered after "
                    + toFirstAnswer + " ms (its own line: " + listening.replaceFirst("^.* listening", "listening") + ")");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"id\":1,\"content\":\"Hello, World! Request from 127.0.0.1 hostname logapi-1223020174-37mbb\","
                    + "\"version\":\"" + version + "\"}");
            assertThat(p.awaitLine(" GET /api/log/greeting 200 ", WAIT)).isNotNull();
        }
    }

    @Test
    void badConfigurationIsOneLineAndExitStatus2() throws Exception {
        try (ImageProcess p = ImageProcess.start("1.0", Map.of("POD_IP", "127.0.0.1", "PORT", "http"))) {
            assertThat(p.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.process.exitValue()).isEqualTo(2);
            assertThat(p.stderrText()).startsWith("logapi: PORT is not a port number: http\nusage: logapi [--port N]")
                    .doesNotContain("Exception");
        }
    }

    /**
     * SIGTERM while a request is in flight (held by a slow API server): the listener closes, the request still
     * gets its full answer, then the process ends.
     */
    @Test
    void sigtermFinishesTheRequestsInFlight() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer slowApiServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        slowApiServer.createContext("/", ex -> {
            arrived.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] log = "first line\nsecond line\n".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, log.length);
            ex.getResponseBody().write(log);
            ex.close();
        });
        slowApiServer.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        slowApiServer.start();
        Path kubeconfig = Files.createTempFile("logapi-kubeconfig", ".yaml");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {server: "http://127.0.0.1:%d"}}]
                users: [{name: u, user: {token: t0ken}}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                current-context: x
                """.formatted(slowApiServer.getAddress().getPort()));
        int port = Ports.free(InetAddress.getLoopbackAddress());
        try (ImageProcess p = ImageProcess.start("1.0", Map.of("POD_IP", "127.0.0.1", "KUBECONFIG", kubeconfig.toString(),
                "POD_NAME", "logapi-stopping"), "--port", String.valueOf(port))) {
            assertThat(p.awaitLine(" listening on ", WAIT)).as("stderr: %s", p.stderrText()).isNotNull();
            CompletableFuture<HttpResponse<String>> inFlight = Http.CLIENT.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/log/pods/default/web-1?tailLines=2"))
                            .timeout(WAIT).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(arrived.await(30, TimeUnit.SECONDS)).isTrue();

            // SIGTERM (through the handle: Process.destroy would also close our end of its stdout)
            assertThat(p.process.toHandle().destroy()).isTrue();
            assertThat(p.awaitLine("logapi: stopping (SIGTERM)", WAIT)).as("exit %s, stderr: %s",
                    p.process.waitFor(1, TimeUnit.SECONDS) ? p.process.exitValue() : "none", p.stderrText()).isNotNull();
            // no new connections...
            await().atMost(WAIT).until(() -> refuses(port));
            assertThat(inFlight).isNotDone();
            // ... but the one in flight is answered in full
            release.countDown();
            HttpResponse<String> r = inFlight.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"namespace\":\"default\",\"pod\":\"web-1\",\"tailLines\":2,\"lines\":[\"first line\",\"second line\"]}");
            assertThat(p.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.awaitLine("logapi: stopped", WAIT)).isNotNull();
            assertThat(p.stderrText()).isEmpty();
        } finally {
            slowApiServer.stop(0);
            Files.deleteIfExists(kubeconfig);
        }
    }

    private static boolean refuses(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
