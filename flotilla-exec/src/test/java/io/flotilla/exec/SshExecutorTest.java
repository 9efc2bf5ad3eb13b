package io.flotilla.exec;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshExecutorTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path serverDir;

    @TempDir
    Path dir;

    private static TestingSshd sshd;
    private static Executor executor;
    private static SshOptions options;

    @BeforeAll
    static void startServer() throws Exception {
        sshd = TestingSshd.start(serverDir);
        options = sshd.rootOptions();
        executor = sshd.connect(16, 16).executor("127.0.0.1");
    }

    @AfterAll
    static void stopServer() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void commandsReportTheirExitAndOutput() {
        CommandResult result = executor.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), TIMEOUT);
        assertThat(result).isEqualTo(new CommandResult(3, "out\n", "err\n"));
        assertThat(executor.run(List.of("true"), TIMEOUT)).isEqualTo(new CommandResult(0, "", ""));
        assertThatThrownBy(() -> executor.check(List.of("sh", "-c", "echo broken >&2; exit 2"), TIMEOUT))
                .isInstanceOf(ExecException.class)
                .hasMessage("sh -c echo broken >&2; exit 2 failed on 127.0.0.1 with exit code 2: broken")
                .extracting(e -> ((ExecException) e).host())
                .isEqualTo("127.0.0.1");
    }

    @Test
    void argumentsReachTheProgramUninterpreted() {
        List<String> arguments = List.of(
                "two words",
                "it's",
                "\"double\"",
                "$HOME",
                "$(touch /tmp/flotilla-injected)",
                "a; touch /tmp/flotilla-injected",
                "`id`",
                "back\\slash",
                "*",
                "",
                "new\nline",
                "~root",
                "-n");
        List<String> command = new java.util.ArrayList<>(List.of("printf", "[%s]\\n"));
        command.addAll(arguments);
        CommandResult result = executor.run(command, TIMEOUT);
        StringBuilder expected = new StringBuilder();
        arguments.forEach(argument -> expected.append('[').append(argument).append("]\n"));
        assertThat(result.stdout()).isEqualTo(expected.toString());
        assertThat(Path.of("/tmp/flotilla-injected")).doesNotExist();
    }

    @Test
    void commandsReadAnEmptyInput() {
        assertThat(executor.run(List.of("cat"), TIMEOUT)).isEqualTo(new CommandResult(0, "", ""));
    }

    @Test
    void aCommandPastItsTimeoutIsKilledOnTheHost() {
        String marker = "31.%d".formatted(System.nanoTime() % 1000);
        long started = System.nanoTime();
        assertThatThrownBy(() -> executor.run(List.of("sleep", marker), Duration.ofMillis(500)))
                .isInstanceOf(ExecException.class)
                .hasMessage("sleep %s did not finish on 127.0.0.1 within 500 ms".formatted(marker));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertEventually(
                Duration.ofSeconds(5),
                () -> assertThat(ProcessHandle.allProcesses()
                                .filter(process ->
                                        process.info().commandLine().orElse("").contains("sleep " + marker)))
                        .isEmpty());
        assertThat(executor.run(List.of("echo", "still usable"), TIMEOUT).stdout())
                .isEqualTo("still usable\n");
    }

    @Test
    void putWritesOnceAndSkipsUnchangedContent() throws Exception {
        String file = dir.resolve("conf/secret").toString();
        byte[] content = "s3cret".getBytes(StandardCharsets.UTF_8);
        assertThat(executor.put(file, content, "0600")).isTrue();
        assertThat(Files.readString(Path.of(file))).isEqualTo("s3cret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(file))))
                .isEqualTo("rw-------");
        long modified = Files.getLastModifiedTime(Path.of(file)).toMillis();
        assertThat(executor.put(file, content, "0600"))
                .as("same content and mode")
                .isFalse();
        assertThat(Files.getLastModifiedTime(Path.of(file)).toMillis()).isEqualTo(modified);
        assertThat(executor.put(file, "changed".getBytes(StandardCharsets.UTF_8), "0600"))
                .isTrue();
        assertThat(Files.readString(Path.of(file))).isEqualTo("changed");
        assertThat(executor.put(file, "changed".getBytes(StandardCharsets.UTF_8), "0644"))
                .as("a mode change is a change")
                .isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(file))))
                .isEqualTo("rw-r--r--");
        try (var files = Files.list(dir.resolve("conf"))) {
            assertThat(files.map(each -> each.getFileName().toString())).containsExactly("secret");
        }
    }

    @Test
    void aFileHasItsModeFromItsFirstByte() throws Exception {
        Path target = Files.createDirectories(dir.resolve("secrets")).resolve("sudo-password");
        assertThat(TestingFifo.modeWhileCopying(executor, dir.resolve("source"), target, "0600", "s3cret", "-and-more"))
                .as("the mode of the file while it is written")
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-------");
    }

    @Test
    void aModeTheHostsUmaskWouldNarrowIsStillTheFinalMode() throws Exception {
        // sshd here runs with umask 022; 0777 asks for bits it takes away at the open.
        String file = dir.resolve("tool").toString();
        assertThat(executor.put(file, new byte[] {1}, "0777")).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(file))))
                .isEqualTo("rwxrwxrwx");
    }

    @Test
    void copyStreamsALocalFileAndSkipsItWhenUnchanged() throws Exception {
        Path local = dir.resolve("local.bin");
        byte[] content = new byte[3 * 1024 * 1024 + 17];
        new java.util.Random(7).nextBytes(content);
        Files.write(local, content);
        String remote = dir.resolve("remote/bin/tool").toString();
        assertThat(executor.copy(local, remote, "0755")).isTrue();
        assertThat(Files.readAllBytes(Path.of(remote))).isEqualTo(content);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(remote))))
                .isEqualTo("rwxr-xr-x");
        assertThat(executor.copy(local, remote, "0755")).isFalse();
        content[0] ^= 1;
        Files.write(local, content);
        assertThat(executor.copy(local, remote, "0755")).isTrue();
        assertThat(Files.readAllBytes(Path.of(remote))).isEqualTo(content);
    }

    @Test
    void directoriesAreCreatedWithTheirModeAndRemoved() throws Exception {
        String top = dir.resolve("deploy").toString();
        String nested = top + "/data/mariadb-3306";
        assertThat(executor.exists(nested)).isFalse();
        executor.mkdirs(nested, "0750");
        executor.mkdirs(nested, "0750");
        assertThat(executor.exists(nested)).isTrue();
        for (String each : List.of(top, top + "/data", nested)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(each))))
                    .as(each)
                    .isEqualTo("rwxr-x---");
        }
        executor.put(nested + "/file", new byte[] {1}, "0644");
        assertThatThrownBy(() -> executor.mkdirs(nested + "/file", "0755"))
                .isInstanceOf(ExecException.class)
                .hasMessage("%s/file on 127.0.0.1 exists and is not a directory".formatted(nested));
        executor.remove(top);
        assertThat(executor.exists(top)).isFalse();
        executor.remove(top);
    }

    @Test
    void fileOperationsShareOneSftpChannel() throws Exception {
        executor.exists(dir.toString());
        int before = sshd.sftpChannelsOpened();
        for (int i = 0; i < 20; i++) {
            String each = dir.resolve("shared/" + i).toString();
            executor.mkdirs(each, "0755");
            assertThat(executor.put(each + "/file", new byte[] {(byte) i}, "0644"))
                    .isTrue();
            assertThat(executor.exists(each + "/file")).isTrue();
        }
        assertThat(sshd.sftpChannelsOpened() - before)
                .as("SFTP channels opened for 60 file operations one after another")
                .isZero();
    }

    @Test
    void aDetachedProcessOutlivesItsChannelAndLogs() throws Exception {
        String log = dir.resolve("logs/service.log").toString();
        executor.mkdirs(dir.resolve("logs").toString(), "0755");
        String pidFile = dir.resolve("service.pid").toString();
        executor.startDetached(
                List.of("sh", "-c", "echo $$ > \"$1\"; echo started; exec sleep 30", "sh", pidFile), log);
        assertEventually(
                Duration.ofSeconds(5),
                () -> assertThat(Files.readString(Path.of(log))).isEqualTo("started\n"));
        long pid = Long.parseLong(Files.readString(Path.of(pidFile)).strip());
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow();
        try {
            assertThat(process.isAlive()).isTrue();
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void manyCommandsShareOneConnectionAndDoNotGrowFileDescriptors() throws Exception {
        for (int i = 0; i < 20; i++) {
            executor.run(List.of("true"), TIMEOUT);
        }
        long descriptorsBefore = openFileDescriptors();
        for (int i = 0; i < 200; i++) {
            assertThat(executor.run(List.of("echo", Integer.toString(i)), TIMEOUT)
                            .stdout())
                    .isEqualTo(i + "\n");
        }
        long descriptorsAfter = openFileDescriptors();
        int connectionsAfter = sshd.connections();
        System.out.printf(
                "200 commands: %d TCP connection(s), open fds %d before, %d after%n",
                connectionsAfter, descriptorsBefore, descriptorsAfter);
        assertThat(connectionsAfter).isEqualTo(1);
        assertThat(descriptorsAfter).isLessThanOrEqualTo(descriptorsBefore);
    }

    @Test
    void manyConcurrentCommandsAndTransfersShareOneConnection() throws Exception {
        List<Thread> threads = new java.util.ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        for (int i = 0; i < 40; i++) {
            int n = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    String file = dir.resolve("parallel/" + n).toString();
                    executor.put(file, Integer.toString(n).getBytes(StandardCharsets.UTF_8), "0644");
                    assertThat(executor.run(List.of("cat", file), TIMEOUT).stdout())
                            .isEqualTo(Integer.toString(n));
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        assertThat(sshd.connections()).isEqualTo(1);
    }

    @Test
    void aDroppedSessionIsOpenedAgain() throws Exception {
        executor.run(List.of("true"), TIMEOUT);
        sshd.dropConnections();
        assertEventually(
                Duration.ofSeconds(5), () -> assertThat(sshd.connections()).isZero());
        assertThat(executor.run(List.of("echo", "again"), TIMEOUT).stdout()).isEqualTo("again\n");
        assertEventually(
                Duration.ofSeconds(5), () -> assertThat(sshd.connections()).isEqualTo(1));
    }

    @Test
    void theChannelBoundHoldsAcrossCallers() throws Exception {
        String slots = dir.resolve("slots").toString();
        executor.mkdirs(slots, "0755");
        try (SshConnections narrow = SshConnections.start(options, 2, 4)) {
            Executor bounded = narrow.executor("127.0.0.1");
            List<Thread> threads = new java.util.ArrayList<>();
            java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 6; i++) {
                threads.add(Thread.ofVirtual()
                        .start(() -> seen.add(bounded.check(
                                        List.of(
                                                "sh",
                                                "-c",
                                                "touch \"$1/$$\"; ls \"$1\" | wc -l; sleep 0.2; rm \"$1/$$\"",
                                                "sh",
                                                slots),
                                        TIMEOUT)
                                .stdout()
                                .strip())));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(seen)
                    .as("commands running at once")
                    .isNotEmpty()
                    .allMatch(count -> Integer.parseInt(count) <= 2);
        }
    }

    @Test
    void theSessionBoundClosesAnIdleSessionToServeAnotherHost() throws Exception {
        executor.run(List.of("true"), TIMEOUT);
        int shared = sshd.connections();
        try (SshConnections one = SshConnections.start(options, 4, 1)) {
            for (int round = 0; round < 3; round++) {
                for (String host : List.of("127.0.0.1", "127.0.0.2")) {
                    assertThat(one.executor(host)
                                    .run(List.of("echo", host), TIMEOUT)
                                    .stdout())
                            .isEqualTo(host + "\n");
                    assertThat(sshd.connections())
                            .as("the shared session and one of this pool")
                            .isEqualTo(shared + 1);
                }
            }
        }
    }

    private static long openFileDescriptors() throws Exception {
        try (var descriptors = Files.list(Path.of("/proc/self/fd"))) {
            return descriptors.count();
        }
    }

    @Test
    void streamPipesBytesThroughTheCommandAndReportsItsExit() {
        byte[] input = new byte[3 * 1024 * 1024];
        new java.util.Random(7).nextBytes(input);
        java.io.ByteArrayOutputStream output = new java.io.ByteArrayOutputStream();
        CommandResult copied = executor.stream(
                List.of("sh", "-c", "cat; echo done >&2"), new java.io.ByteArrayInputStream(input), output, TIMEOUT);
        assertThat(copied).isEqualTo(new CommandResult(0, "", "done\n"));
        assertThat(output.toByteArray()).isEqualTo(input);
        CommandResult failed = executor.stream(
                List.of("sh", "-c", "echo refused >&2; exit 4"),
                java.io.InputStream.nullInputStream(),
                java.io.OutputStream.nullOutputStream(),
                TIMEOUT);
        assertThat(failed).isEqualTo(new CommandResult(4, "", "refused\n"));
    }
}
