package io.kubeha.agent.pod;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** hostPath volumes' type field, checked and acted on as the kubelet does. */
class HostPathTypeTest {
    @TempDir
    Path dir;

    @Test
    void orCreateTypesMakeWhatIsMissing() throws Exception {
        Path d = dir.resolve("a/b/c");
        Volumes.hostPathType(d, "DirectoryOrCreate");
        assertThat(d).isDirectory();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).isEqualTo("rwxr-xr-x");

        Path f = dir.resolve("a/file");
        Volumes.hostPathType(f, "FileOrCreate");
        assertThat(f).isRegularFile().isEmptyFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-r--r--");
        // an existing file keeps what it holds
        Files.writeString(f, "kept");
        Volumes.hostPathType(f, "FileOrCreate");
        assertThat(f).hasContent("kept");

        assertThatThrownBy(() -> Volumes.hostPathType(dir.resolve("nope/file"), "FileOrCreate"))
                .hasMessageContaining("does not exist; FileOrCreate does not create it");
        assertThat(dir.resolve("nope")).doesNotExist();
    }

    @Test
    void checkedTypesRequireThatKindOfThing() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        assertThatThrownBy(() -> Volumes.hostPathType(f, "Directory")).hasMessage("hostPath type check failed: " + f + " is not a directory");
        assertThatThrownBy(() -> Volumes.hostPathType(f, "DirectoryOrCreate")).hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> Volumes.hostPathType(dir, "File")).hasMessage("hostPath type check failed: " + dir + " is not a file");
        assertThatThrownBy(() -> Volumes.hostPathType(dir.resolve("missing"), "File")).hasMessageContaining("is not a file");
        assertThatThrownBy(() -> Volumes.hostPathType(f, "Socket")).hasMessageContaining("is not a socket file");
        assertThatThrownBy(() -> Volumes.hostPathType(f, "BlockDevice")).hasMessageContaining("is not a block device");
        assertThatThrownBy(() -> Volumes.hostPathType(f, "Bogus")).hasMessageContaining("is not one of DirectoryOrCreate");

        Volumes.hostPathType(f, "File");
        Volumes.hostPathType(dir, "Directory");
        Volumes.hostPathType(Path.of("/dev/null"), "CharDevice");
        Volumes.hostPathType(dir.resolve("anything"), "");
        Path sock = dir.resolve("s.sock");
        try (var ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(sock));
            Volumes.hostPathType(sock, "Socket");
            assertThatThrownBy(() -> Volumes.hostPathType(sock, "File")).hasMessageContaining("is not a file");
        }
    }
}
