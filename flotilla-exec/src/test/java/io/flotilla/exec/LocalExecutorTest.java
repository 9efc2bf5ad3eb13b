package io.flotilla.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalExecutorTest {
    @TempDir
    Path dir;

    private final LocalExecutor executor = new LocalExecutor("127.0.0.1");

    @Test
    void putWritesOnceAndSkipsUnchangedContent() throws Exception {
        String file = dir.resolve("conf/secret").toString();
        assertThat(executor.put(file, "s3cret".getBytes(StandardCharsets.UTF_8), "0600"))
                .isTrue();
        assertThat(executor.put(file, "s3cret".getBytes(StandardCharsets.UTF_8), "0600"))
                .isFalse();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(file))))
                .isEqualTo("rw-------");
        assertThat(executor.put(file, "changed".getBytes(StandardCharsets.UTF_8), "0600"))
                .isTrue();
        assertThat(Files.readString(Path.of(file))).isEqualTo("changed");
        assertThat(executor.put(file, "changed".getBytes(StandardCharsets.UTF_8), "0644"))
                .as("a mode change is a change")
                .isTrue();
    }

    @Test
    void commandsReportTheirExitAndOutput() {
        CommandResult result =
                executor.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), Duration.ofSeconds(10));
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stdout()).isEqualTo("out\n");
        assertThat(result.stderr()).isEqualTo("err\n");
        assertThatThrownBy(() -> executor.check(List.of("sh", "-c", "echo broken >&2; exit 2"), Duration.ofSeconds(10)))
                .isInstanceOf(ExecException.class)
                .hasMessage("sh -c echo broken >&2; exit 2 failed on 127.0.0.1 with exit code 2: broken");
    }

    @Test
    void aCommandPastItsTimeoutIsKilled() {
        long started = System.nanoTime();
        assertThatThrownBy(() -> executor.run(List.of("sleep", "30"), Duration.ofMillis(300)))
                .hasMessage("sleep 30 did not finish on 127.0.0.1 within 0 s");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void mkdirsAndRemoveAreIdempotent() {
        String tree = dir.resolve("a/b/c").toString();
        executor.mkdirs(tree, "0750");
        executor.mkdirs(tree, "0750");
        assertThat(Path.of(tree)).isDirectory();
        executor.remove(dir.resolve("a").toString());
        executor.remove(dir.resolve("a").toString());
        assertThat(dir.resolve("a")).doesNotExist();
    }

    @Test
    void listeningPortsNameTheirOwner() throws Exception {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            ListeningPorts ports = ListeningPorts.of(executor);
            assertThat(ports.owner(socket.getLocalPort()))
                    .contains("pid %d (java)".formatted(ProcessHandle.current().pid()));
        }
    }

    @Test
    void ssOutputIsParsedForIpv4AndIpv6() {
        ListeningPorts ports = ListeningPorts.parse("""
                LISTEN 0      80         127.0.0.1:3306       0.0.0.0:*    users:(("mariadbd",pid=812,fd=20))
                LISTEN 0      4096            [::]:9100          [::]:*    users:(("node_exporter",pid=9,fd=3))
                LISTEN 0      128          0.0.0.0:22         0.0.0.0:*
                """);
        assertThat(ports.owner(3306)).contains("pid 812 (mariadbd)");
        assertThat(ports.owner(9100)).contains("pid 9 (node_exporter)");
        assertThat(ports.owner(22)).contains("another process");
        assertThat(ports.owner(4000)).isEmpty();
    }

    @Test
    void streamPipesBytesThroughTheCommandAndReportsItsExit() {
        byte[] input = new byte[3 * 1024 * 1024];
        new java.util.Random(7).nextBytes(input);
        java.io.ByteArrayOutputStream output = new java.io.ByteArrayOutputStream();
        CommandResult copied = executor.stream(
                List.of("sh", "-c", "cat; echo done >&2"),
                new java.io.ByteArrayInputStream(input),
                output,
                Duration.ofSeconds(10));
        assertThat(copied).isEqualTo(new CommandResult(0, "", "done\n"));
        assertThat(output.toByteArray()).isEqualTo(input);
        CommandResult failed = executor.stream(
                List.of("sh", "-c", "echo refused >&2; exit 4"),
                java.io.InputStream.nullInputStream(),
                java.io.OutputStream.nullOutputStream(),
                Duration.ofSeconds(10));
        assertThat(failed).isEqualTo(new CommandResult(4, "", "refused\n"));
    }
}
