package io.kubeha.agent;

import io.kubeha.agent.logs.ContainerLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;

class ContainerLogsTest {
    @TempDir
    Path dir;

    @Test
    void aLogPastItsSizeIsRotatedAndTheWriterGoesOnAtItsStart() throws Exception {
        ContainerLogs logs = new ContainerLogs(dir);
        Path c = Files.createDirectories(dir.resolve("default_web_uid1").resolve("main"));
        Path current = c.resolve("0.log");
        // the container's side: a file opened for appending, as the process runtime opens it
        try (var out = Files.newOutputStream(current, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            for (int round = 0; round < 7; round++) {
                out.write(("round " + round + " " + "x".repeat(200) + "\n").repeat(10).getBytes());
                out.flush();
                assertThat(logs.rotate(1000, 3)).isEqualTo(1);
            }
            out.write("after\n".getBytes());
        }
        assertThat(Files.readString(current)).isEqualTo("after\n");
        try (var files = Files.list(c)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("0.log.")).count()).isEqualTo(2);
        }
        assertThat(logs.rotate(1000, 3)).isZero();
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        logs.copy(logs.file("default", "web", "main", false).orElseThrow(), -1, -1, false, () -> false, read);
        assertThat(read.toString()).isEqualTo("after\n");
    }

    @Test
    void tailCountsLinesFromTheEnd() throws Exception {
        ContainerLogs logs = new ContainerLogs(dir);
        Path c = Files.createDirectories(dir.resolve("default_web_uid1").resolve("main"));
        Files.writeString(c.resolve("0.log"), "a\nb\nc\n");
        Files.writeString(c.resolve("1.log"), "d\ne\nf");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        logs.copy(logs.file("default", "web", "main", false).orElseThrow(), 2, -1, false, () -> false, out);
        assertThat(out.toString()).isEqualTo("e\nf");
        out.reset();
        logs.copy(logs.file("default", "web", "main", true).orElseThrow(), 1, -1, false, () -> false, out);
        assertThat(out.toString()).isEqualTo("c\n");
        out.reset();
        logs.copy(logs.file("default", "web", "main", true).orElseThrow(), -1, 3, false, () -> false, out);
        assertThat(out.toString()).isEqualTo("a\nb");
    }
}
