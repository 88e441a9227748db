package io.kubeha.security.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class AuditLogTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    static JsonNode pod() {
        return JSON.readTree("""
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default",
                 "managedFields":[{"manager":"kubectl","operation":"Update"}]},
                 "spec":{"containers":[{"name":"c","image":"nginx"}]}}
                """);
    }

    Path policy(String level) throws IOException {
        Path file = dir.resolve("policy-" + level + ".yaml");
        Files.writeString(file, "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: " + level + "\n");
        return file;
    }

    List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            JsonNode event = JSON.readTree(line);
            assertThat(event.get("kind").asString()).isEqualTo("Event");
            assertThat(event.get("apiVersion").asString()).isEqualTo("audit.k8s.io/v1");
            out.add(event);
        }
        return out;
    }

    JsonNode only(Path policyFile) throws IOException {
        Path log = dir.resolve("audit-" + System.nanoTime() + ".log");
        try (AuditLog audit = AuditLog.open(log, AuditPolicy.load(policyFile), 0, 0)) {
            audit.record(Requests.create().objects(pod(), pod()).build());
        }
        List<JsonNode> events = lines(log);
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    @Test
    void aCreateAtMetadataIsKubesEventShapeWithoutObjects() throws IOException {
        JsonNode e = only(policy("Metadata"));
        assertThat(e.propertyNames()).containsExactly("kind", "apiVersion", "level", "auditID", "stage", "requestURI",
                "verb", "user", "sourceIPs", "userAgent", "objectRef", "responseStatus", "requestReceivedTimestamp",
                "stageTimestamp", "annotations");
        assertThat(e.get("level").asString()).isEqualTo("Metadata");
        assertThat(e.get("auditID").asString()).isEqualTo("4b3c7d4e-0000-4000-8000-000000000001");
        assertThat(e.get("stage").asString()).isEqualTo("ResponseComplete");
        assertThat(e.get("requestURI").asString()).isEqualTo("/api/v1/namespaces/default/pods");
        assertThat(e.get("verb").asString()).isEqualTo("create");
        assertThat(JSON.writeValueAsString(e.get("user")))
                .isEqualTo("{\"username\":\"alice\",\"uid\":\"u-1\",\"groups\":[\"dev\",\"system:authenticated\"]}");
        assertThat(JSON.writeValueAsString(e.get("sourceIPs"))).isEqualTo("[\"10.0.0.7\"]");
        assertThat(e.get("userAgent").asString()).isEqualTo("kubectl/v1.33.0 (linux/amd64)");
        assertThat(JSON.writeValueAsString(e.get("objectRef")))
                .isEqualTo("{\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"web\",\"apiVersion\":\"v1\"}");
        assertThat(JSON.writeValueAsString(e.get("responseStatus"))).isEqualTo("{\"metadata\":{},\"code\":201}");
        assertThat(e.get("requestReceivedTimestamp").asString()).isEqualTo("2025-03-01T10:15:30.123456Z");
        assertThat(e.get("stageTimestamp").asString()).isEqualTo("2025-03-01T10:15:30.200001Z");
        assertThat(e.get("annotations").get("authorization.k8s.io/decision").asString()).isEqualTo("allow");
        assertThat(e.get("annotations").get("authorization.k8s.io/reason").asString()).startsWith("RBAC: allowed by");
    }

    @Test
    void requestHasTheRequestObjectAndRequestResponseBoth() throws IOException {
        JsonNode request = only(policy("Request"));
        assertThat(request.has("requestObject")).isTrue();
        assertThat(request.has("responseObject")).isFalse();
        assertThat(request.get("requestObject")).isEqualTo(pod());

        JsonNode both = only(policy("RequestResponse"));
        assertThat(both.get("level").asString()).isEqualTo("RequestResponse");
        assertThat(both.get("requestObject")).isEqualTo(pod());
        assertThat(both.get("responseObject")).isEqualTo(pod());
    }

    @Test
    void omitManagedFieldsStripsThemFromTheObjectsOnly() throws IOException {
        Path p = dir.resolve("omf.yaml");
        Files.writeString(p, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitManagedFields: true\nrules:\n"
                + "  - level: RequestResponse\n");
        JsonNode original = pod();
        Path log = dir.resolve("omf.log");
        try (AuditLog audit = AuditLog.open(log, AuditPolicy.load(p), 0, 0)) {
            audit.record(Requests.create().objects(original, original).build());
        }
        JsonNode e = lines(log).get(0);
        assertThat(e.get("requestObject").get("metadata").has("managedFields")).isFalse();
        assertThat(e.get("responseObject").get("metadata").get("name").asString()).isEqualTo("web");
        assertThat(original.get("metadata").has("managedFields")).as("the caller's object is untouched").isTrue();
    }

    @Test
    void failuresImpersonationAndNonResourceRequests() throws IOException {
        Path log = dir.resolve("misc.log");
        try (AuditLog audit = AuditLog.open(log, AuditPolicy.metadataForAll(), 0, 0)) {
            Requests forbidden = Requests.create().verb("delete");
            forbidden.code = 403;
            forbidden.statusReason = "Forbidden";
            forbidden.statusMessage = "pods \"web\" is forbidden: User \"bob\" cannot delete resource \"pods\"";
            forbidden.impersonated = "bob";
            forbidden.impersonatedGroups = List.of("testers");
            forbidden.auditId = null;
            audit.record(forbidden.build());
            audit.record(Requests.create().nonResource("/healthz").build());
        }
        List<JsonNode> events = lines(log);
        JsonNode denied = events.get(0);
        assertThat(JSON.writeValueAsString(denied.get("responseStatus"))).isEqualTo("{\"metadata\":{},\"status\":\"Failure\","
                + "\"message\":\"pods \\\"web\\\" is forbidden: User \\\"bob\\\" cannot delete resource \\\"pods\\\"\","
                + "\"reason\":\"Forbidden\",\"code\":403}");
        assertThat(JSON.writeValueAsString(denied.get("impersonatedUser")))
                .isEqualTo("{\"username\":\"bob\",\"groups\":[\"testers\"]}");
        assertThat(denied.get("auditID").asString()).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}");
        JsonNode healthz = events.get(1);
        assertThat(healthz.has("objectRef")).isFalse();
        assertThat(healthz.get("requestURI").asString()).isEqualTo("/healthz");
    }

    @Test
    void levelNoneWritesNothing() throws IOException {
        Path log = dir.resolve("none.log");
        try (AuditLog audit = AuditLog.open(log, AuditPolicy.load(policy("None")), 0, 0)) {
            for (int i = 0; i < 10; i++) {
                audit.record(Requests.create().build());
            }
            assertThat(audit.dropped()).isZero();
        }
        assertThat(Files.size(log)).isZero();
    }

    @Test
    void closeFlushesEverythingRecorded() throws IOException {
        Path log = dir.resolve("many.log");
        int n = 5_000;
        AuditLog audit = AuditLog.open(log, AuditPolicy.metadataForAll(), 0, 0, n);
        for (int i = 0; i < n; i++) {
            Requests r = Requests.create();
            r.auditId = "id-" + i;
            audit.record(r.build());
        }
        audit.close();
        audit.close(); // idempotent
        List<JsonNode> events = lines(log);
        assertThat(audit.dropped()).isZero();
        assertThat(events).hasSize(n);
        assertThat(events.get(n - 1).get("auditID").asString()).isEqualTo("id-" + (n - 1));
        audit.record(Requests.create().build());
        assertThat(audit.dropped()).as("after close: counted, not written").isEqualTo(1);
        assertThat(Files.readAllLines(log)).hasSize(n);
    }

    @Test
    void rotatesAtTheSizeLimitKeepingNBackups() throws IOException {
        Path log = dir.resolve("logs/audit.log");
        String line;
        try (AuditLog probe = AuditLog.open(dir.resolve("probe.log"), AuditPolicy.metadataForAll(), 0, 0)) {
            probe.record(Requests.create().build());
        }
        line = Files.readString(dir.resolve("probe.log"));
        long lineBytes = line.getBytes(StandardCharsets.UTF_8).length;
        // three lines fit in a file; 20 lines make 7 files: the log and 6 rotated, of which 2 are kept
        try (AuditLog audit = AuditLog.open(log, AuditPolicy.metadataForAll(), 3 * lineBytes, 2)) {
            for (int i = 0; i < 20; i++) {
                Requests r = Requests.create();
                r.auditId = String.format("4b3c7d4e-0000-4000-8000-%012d", i);
                audit.record(r.build());
            }
        }
        try (var files = Files.list(log.getParent())) {
            assertThat(files.map(f -> f.getFileName().toString()).sorted())
                    .containsExactly("audit.log", "audit.log.1", "audit.log.2");
        }
        assertThat(ids(log)).containsExactly(18, 19);
        assertThat(ids(log.resolveSibling("audit.log.1"))).containsExactly(15, 16, 17);
        assertThat(ids(log.resolveSibling("audit.log.2"))).containsExactly(12, 13, 14);
        for (Path f : List.of(log, log.resolveSibling("audit.log.1"))) {
            assertThat(Files.size(f)).isLessThanOrEqualTo(3 * lineBytes);
        }
        if (log.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log))).isEqualTo("rw-------");
        }
    }

    @Test
    void maxBackupZeroKeepsEveryBackupAndAnExistingFileIsAppendedTo() throws IOException {
        Path log = dir.resolve("all.log");
        Files.writeString(log, "");
        long lineBytes;
        try (AuditLog audit = AuditLog.open(log, AuditPolicy.metadataForAll(), 0, 0)) {
            audit.record(Requests.create().build());
        }
        lineBytes = Files.size(log);
        try (AuditLog audit = AuditLog.open(log, AuditPolicy.metadataForAll(), lineBytes, 0)) {
            for (int i = 0; i < 4; i++) {
                audit.record(Requests.create().build());
            }
        }
        for (String name : List.of("all.log", "all.log.1", "all.log.2", "all.log.3", "all.log.4")) {
            assertThat(lines(dir.resolve(name))).as(name).hasSize(1);
        }
    }

    List<Integer> ids(Path file) throws IOException {
        return lines(file).stream().map(e -> e.get("auditID").asString())
                .map(id -> Integer.parseInt(id.substring(id.lastIndexOf('-') + 1))).toList();
    }

    @Test
    void aFullQueueDropsAndCountsWithoutBlocking() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch writing = new CountDownLatch(1);
        List<String> written = new ArrayList<>();
        AuditLog.Sink stuck = new AuditLog.Sink() {
            @Override
            public void write(byte[] line) throws IOException {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                written.add(new String(line, StandardCharsets.UTF_8));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        AuditLog audit = AuditLog.toSink(stuck, AuditPolicy.metadataForAll(), 2);
        audit.record(Requests.create().build());
        writing.await(); // the writer holds the first; the queue holds 2 more; the rest drop
        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            audit.record(Requests.create().build());
        }
        assertThat(System.nanoTime() - start).as("never blocks").isLessThan(2_000_000_000L);
        assertThat(audit.dropped()).isEqualTo(8);
        release.countDown();
        audit.close();
        assertThat(written).hasSize(3);
    }

    @Test
    void dashIsStandardOutput() throws IOException {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (AuditLog audit = AuditLog.open(Path.of("-"), AuditPolicy.metadataForAll(), 100, 1)) {
            audit.record(Requests.create().build());
        } finally {
            System.setOut(saved);
        }
        JsonNode e = JSON.readTree(captured.toString(StandardCharsets.UTF_8).strip());
        assertThat(e.get("kind").asString()).isEqualTo("Event");
    }

    @Test
    void disabledRecordsNothing() {
        try (AuditLog audit = AuditLog.disabled()) {
            audit.record(Requests.create().build());
            assertThat(audit.dropped()).isZero();
        }
    }
}
