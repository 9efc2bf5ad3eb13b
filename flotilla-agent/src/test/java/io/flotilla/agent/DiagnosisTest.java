package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.DiagnosisReport;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.InstanceStatus.State;
import io.flotilla.agent.api.Probe;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiagnosisTest {
    @TempDir
    Path dir;

    @Test
    void namesTheMissingBinaryAndItsPackage() throws IOException {
        InstanceSpec spec = spec(List.of("/usr/sbin/flotilla-no-such-mariadbd"), List.of(), List.of());

        assertThat(Diagnosis.diagnose(spec, stopped()))
                .containsExactly(
                        "binary /usr/sbin/flotilla-no-such-mariadbd not found; install the Debian package mariadb-server",
                        "the instance is stopped");
    }

    @Test
    void looksForACommandWithoutSlashOnThePath() throws IOException {
        InstanceSpec onPath = spec(List.of("sleep"), List.of(), List.of());
        InstanceSpec missing = spec(List.of("flotilla-no-such-command"), List.of(), List.of());

        assertThat(Diagnosis.diagnose(onPath, stopped())).containsExactly("the instance is stopped");
        assertThat(Diagnosis.diagnose(missing, stopped()))
                .first()
                .isEqualTo("binary flotilla-no-such-command not found; install the Debian package mariadb-server");
    }

    @Test
    void namesABinaryThatIsNotExecutable() throws IOException {
        Path binary = Files.writeString(dir.resolve("mariadbd"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rw-r--r--"));

        assertThat(Diagnosis.diagnose(spec(List.of(binary.toString()), List.of(), List.of()), stopped()))
                .first()
                .isEqualTo("binary %s is not executable; run chmod +x %s or install the Debian package mariadb-server"
                        .formatted(binary, binary));
    }

    @Test
    void namesTheProcessThatHoldsAPort() throws IOException {
        long self = ProcessHandle.current().pid();
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = socket.getLocalPort();
            InstanceSpec spec = spec(List.of("sleep"), List.of(port), List.of());

            assertThat(Diagnosis.diagnose(spec, stopped()))
                    .containsExactly(
                            "port %d is in use by pid %d (java)".formatted(port, self), "the instance is stopped");
            assertThat(Diagnosis.diagnose(spec, running(self))).isEmpty();
        }
    }

    @Test
    void aFreePortIsNoFact() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }

        assertThat(Diagnosis.diagnose(spec(List.of("sleep"), List.of(port), List.of()), running(1)))
                .isEmpty();
    }

    @Test
    void namesMissingDirectories() throws IOException {
        Path data = dir.resolve("data");
        Path file = Files.writeString(dir.resolve("file"), "");
        InstanceSpec spec =
                spec(List.of("sleep"), List.of(), List.of(data.toString(), file.toString(), dir.toString()));

        assertThat(Diagnosis.diagnose(spec, running(1)))
                .containsExactly(
                        "data directory %s does not exist".formatted(data),
                        "data directory %s is not a directory".formatted(file));
    }

    @Test
    void tellsHowTheProcessEnded() throws IOException {
        InstanceSpec spec = spec(List.of("sleep"), List.of(), List.of());
        Instant now = Instant.now();

        assertThat(Diagnosis.diagnose(spec, new InstanceStatus("i", "mariadb", State.FAILED, 0, now, 4, "exit 1")))
                .containsExactly("the process ended with exit 1 and exited too often in a row right after starting;"
                        + " the supervisor gave up: fix the cause, then start the instance again");
        assertThat(Diagnosis.diagnose(spec, new InstanceStatus("i", "mariadb", State.BACKOFF, 0, now, 1, "signal 9")))
                .containsExactly("the process ended with signal 9; the supervisor restarts it after a backoff"
                        + " (restarted once so far)");
        assertThat(Diagnosis.diagnose(spec, new InstanceStatus("i", "mariadb", State.RUNNING, 1, now, 2, "signal 9")))
                .containsExactly(
                        "the process was restarted 2 times after unexpected exits; the last one ended with signal 9");
        assertThat(Diagnosis.diagnose(spec, new InstanceStatus("i", "mariadb", State.STOPPED, 0, now, 0, "signal 15")))
                .containsExactly("the instance is stopped; its last process ended with signal 15");
    }

    @Test
    void saysWhenTheLogAndWorkDirAreMissing() {
        Path work = dir.resolve("missing");
        InstanceSpec spec = new InstanceSpec(
                "i",
                "mariadb",
                List.of("sleep"),
                Map.of(),
                work.toString(),
                "log/i.log",
                Probe.allOf(),
                5,
                List.of(),
                List.of(),
                "",
                List.of(),
                null);

        assertThat(Diagnosis.diagnose(spec, running(1)))
                .containsExactly(
                        "working directory %s does not exist".formatted(work),
                        "log file %s does not exist".formatted(work.resolve("log/i.log")));
    }

    @Test
    void logTailReadsTheLastLines() throws IOException {
        Path log = Files.writeString(dir.resolve("a.log"), "one\ntwo\nthree\nfour\nfive\n");

        assertThat(Diagnosis.logTail(log, 2)).containsExactly("four", "five");
        assertThat(Diagnosis.logTail(log, 5)).containsExactly("one", "two", "three", "four", "five");
        assertThat(Diagnosis.logTail(log, 50)).containsExactly("one", "two", "three", "four", "five");
        assertThat(Diagnosis.logTail(log, 0)).isEmpty();
    }

    @Test
    void logTailKeepsAnUnfinishedLastLineAndEmptyLines() throws IOException {
        Path log = Files.writeString(dir.resolve("a.log"), "one\n\nthree");

        assertThat(Diagnosis.logTail(log, 2)).containsExactly("", "three");
        assertThat(Diagnosis.logTail(log, 3)).containsExactly("one", "", "three");
    }

    @Test
    void logTailOfAMissingOrEmptyFileIsEmpty() throws IOException {
        assertThat(Diagnosis.logTail(dir.resolve("missing.log"), 10)).isEmpty();
        assertThat(Diagnosis.logTail(Files.writeString(dir.resolve("empty.log"), ""), 10))
                .isEmpty();
    }

    @Test
    void logTailReadsAcrossChunksOfALargeLog() throws IOException {
        List<String> lines = IntStream.range(0, 20_000)
                .mapToObj(i -> "line %d é %s".formatted(i, "x".repeat(i % 50)))
                .toList();
        Path log = Files.write(dir.resolve("big.log"), lines, UTF_8);

        assertThat(Diagnosis.logTail(log, 1000)).isEqualTo(lines.subList(19_000, 20_000));
    }

    @Test
    void reportHoldsFactsAndLog() throws IOException {
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.writeString(work.resolve("i.log"), "starting\nfailed: port in use\n");
        InstanceSpec spec = new InstanceSpec(
                "i",
                "mariadb",
                List.of("sleep"),
                Map.of(),
                work.toString(),
                "i.log",
                Probe.allOf(),
                5,
                List.of(),
                List.of(),
                "",
                List.of(),
                null);

        assertThat(Diagnosis.report(spec, stopped(), 1))
                .isEqualTo(new DiagnosisReport(List.of("the instance is stopped"), List.of("failed: port in use")));
    }

    private InstanceSpec spec(List<String> command, List<Integer> ports, List<String> dataDirs) throws IOException {
        Path log = dir.resolve("instance.log");
        if (!Files.exists(log)) {
            Files.writeString(log, "");
        }
        return new InstanceSpec(
                "127.0.0.1:3306",
                "mariadb",
                command,
                Map.of(),
                dir.toString(),
                log.toString(),
                Probe.allOf(),
                5,
                ports,
                dataDirs,
                "mariadb-server",
                List.of(),
                null);
    }

    private static InstanceStatus stopped() {
        return new InstanceStatus("127.0.0.1:3306", "mariadb", State.STOPPED, 0, Instant.now(), 0, "");
    }

    private static InstanceStatus running(long pid) {
        return new InstanceStatus("127.0.0.1:3306", "mariadb", State.RUNNING, pid, Instant.now(), 0, "");
    }
}
