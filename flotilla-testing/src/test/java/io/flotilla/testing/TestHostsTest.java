package io.flotilla.testing;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

final class TestHostsTest {
    private static TestHosts harness;
    private static TestHost first;
    private static TestHost second;
    private static TestHost third;

    @BeforeAll
    static void createHosts() {
        harness = TestHosts.create("fh", 3);
        first = harness.hosts().get(0);
        second = harness.hosts().get(1);
        third = harness.hosts().get(2);
    }

    @AfterAll
    static void closeHosts() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void eachHostAnswersSshWithStrictHostKeyCheckingAndHasItsOwnAddress() {
        assertThat(harness.hosts()).extracting(TestHost::name).containsExactly("fh1", "fh2", "fh3");
        assertThat(harness.subnet()).isEqualTo("10.251.194.0/24");
        for (TestHost host : harness.hosts()) {
            assertThat(host.sshPort()).isEqualTo(22);
            ExecResult result = host.exec("ip", "-4", "-o", "addr");
            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).contains("inet %s/24".formatted(host.address()));
            for (TestHost other : harness.hosts()) {
                if (other != host) {
                    assertThat(result.stdout()).doesNotContain("inet %s/".formatted(other.address()));
                }
            }
        }
    }

    @Test
    void knownHostsListsEachHostKeyWithTheFingerprintSshKeygenPrints() throws IOException {
        List<String> lines = Files.readAllLines(harness.knownHosts());
        assertThat(lines).hasSize(3);
        ExecResult fingerprints =
                run(List.of("ssh-keygen", "-lf", harness.knownHosts().toString()));
        for (int i = 0; i < 3; i++) {
            TestHost host = harness.hosts().get(i);
            assertThat(lines.get(i)).startsWith(host.address() + " ssh-ed25519 AAAA");
            assertThat(fingerprints.stdout())
                    .contains("%s %s (ED25519)".formatted(host.hostKeyFingerprint(), host.address()));
        }
    }

    @Test
    void srvAndHomeArePrivatePerHost() throws IOException {
        ExecResult write = first.exec(
                "sh", "-c", "echo one > /srv/marker && mkdir -p /home/alice && echo one > /home/alice/marker");
        assertThat(write.exitCode()).as(write.stderr()).isZero();
        try {
            assertThat(first.exec("cat", "/srv/marker").stdout()).isEqualTo("one\n");
            assertThat(second.exec("test", "-e", "/srv/marker").exitCode()).isEqualTo(1);
            assertThat(second.exec("test", "-e", "/home/alice/marker").exitCode())
                    .isEqualTo(1);
            assertThat(Path.of("/srv/marker")).doesNotExist();
            assertThat(Files.readString(first.srv().resolve("marker"))).isEqualTo("one\n");
        } finally {
            first.exec("rm", "-rf", "/srv/marker", "/home/alice");
        }
    }

    @Test
    void etcIsPrivatePerHostSoUsersAndPasswordsStayOnTheirHost() throws IOException {
        String machinePasswd = Files.readString(Path.of("/etc/passwd"));
        String machineShadow = Files.readString(Path.of("/etc/shadow"));
        ExecResult add = first.exec("useradd", "--create-home", "fhuser");
        assertThat(add.exitCode()).as(add.stderr()).isZero();
        try {
            assertThat(first.exec("id", "-u", "fhuser").exitCode()).isZero();
            assertThat(first.exec("test", "-d", "/home/fhuser").exitCode()).isZero();
            assertThat(second.exec("id", "-u", "fhuser").exitCode()).isEqualTo(1);
            assertThat(Files.readString(first.etc().resolve("passwd"))).contains("\nfhuser:");
            assertThat(Files.readString(Path.of("/etc/passwd"))).isEqualTo(machinePasswd);

            assertThat(Files.readString(first.etc().resolve("shadow"))).startsWith("root:*:");
            first.setPassword("root", "fh-secret");
            assertThat(Files.readString(first.etc().resolve("shadow")))
                    .startsWith("root:$")
                    .doesNotContain("fh-secret");
            assertThat(Files.readString(second.etc().resolve("shadow"))).startsWith("root:*:");
            assertThat(Files.readString(Path.of("/etc/shadow"))).isEqualTo(machineShadow);
        } finally {
            first.exec("userdel", "--remove", "fhuser");
        }
    }

    @Test
    void hostsReachEachOther() {
        ExecResult oneToTwo = first.exec("bash", "-c", "</dev/tcp/%s/22".formatted(second.address()));
        assertThat(oneToTwo.exitCode()).as(oneToTwo.stderr()).isZero();
        ExecResult threeToOne = third.exec("bash", "-c", "</dev/tcp/%s/22".formatted(first.address()));
        assertThat(threeToOne.exitCode()).as(threeToOne.stderr()).isZero();
    }

    @Test
    void cutLinkMakesAHostUnreachableUntilRestoreLink() {
        assertThat(reachable(second)).isTrue();
        try {
            second.cutLink();
            assertEventually(
                    Duration.ofSeconds(2), () -> assertThat(reachable(second)).isFalse());
            assertThat(first.exec("bash", "-c", "timeout 1 bash -c '</dev/tcp/%s/22'".formatted(second.address()))
                            .exitCode())
                    .isNotZero();
        } finally {
            second.restoreLink();
        }
        assertEventually(
                Duration.ofSeconds(5), () -> assertThat(reachable(second)).isTrue());
        assertThat(second.exec("true").exitCode()).isZero();
    }

    @Test
    void sshRefusesAHostWhoseKeyIsNotTheOneInKnownHosts(@TempDir Path dir) throws IOException {
        List<String> lines = Files.readAllLines(harness.knownHosts());
        String secondKey = lines.get(1).substring(lines.get(1).indexOf(' ') + 1);
        Path wrong = dir.resolve("known_hosts");
        Files.writeString(wrong, "%s %s%n".formatted(first.address(), secondKey));

        ExecResult result = run(List.of(
                "ssh",
                "-F",
                "/dev/null",
                "-i",
                harness.clientKey().toString(),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "UserKnownHostsFile=" + wrong,
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "root@" + first.address(),
                "true"));

        assertThat(result.exitCode()).isEqualTo(255);
        assertThat(result.stderr())
                .contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
                .contains("Host key verification failed.");
    }

    @Test
    void crashKillsEveryProcessOfAHostAndRestartBringsSshdBack() {
        ExecResult started =
                third.exec("sh", "-c", "echo kept > /srv/kept && setsid sleep 600 </dev/null >/dev/null 2>&1 &");
        assertThat(started.exitCode()).as(started.stderr()).isZero();
        assertThat(namespacePids("fh3")).hasSizeGreaterThanOrEqualTo(2);

        third.crash();

        assertThat(namespacePids("fh3")).isEmpty();
        assertThat(reachable(third)).isFalse();
        assertThat(third.exec("true").exitCode()).isEqualTo(255);

        third.restart();

        ExecResult kept = third.exec("cat", "/srv/kept");
        assertThat(kept.stdout()).isEqualTo("kept\n");
        // The sshd process that served `cat` exits a moment after the client has its output.
        assertEventually(
                Duration.ofSeconds(5), () -> assertThat(namespacePids("fh3")).hasSize(1));
    }

    @Test
    void closeLeavesNoNamespaceLinkProcessOrFolderAndMayBeRepeated() {
        TestHosts gone = TestHosts.create("fhgone", 2);
        assertThat(gone.subnet()).isEqualTo("10.251.97.0/24");
        assertThat(gone.hosts().get(1).exec("true").exitCode()).isZero();
        assertThat(leftovers("fhgone")).isNotEmpty();

        gone.close();
        gone.close();

        assertThat(leftovers("fhgone")).isEmpty();
    }

    @Test
    void createAgainWithTheSamePrefixRemovesAnUnclosedHarness() {
        TestHosts abandoned = TestHosts.create("fhagain", 2);
        List<Long> abandonedPids = namespacePids("fhagain1");
        assertThat(abandonedPids).isNotEmpty();

        try (TestHosts again = TestHosts.create("fhagain", 2)) {
            assertThat(abandonedPids).noneMatch(TestHostsTest::alive);
            for (TestHost host : again.hosts()) {
                assertThat(host.exec("true").exitCode()).isZero();
            }
            // The abandoned harness no longer owns the names: closing it leaves the new hosts alone.
            abandoned.close();
            assertThat(again.hosts().get(0).exec("true").exitCode()).isZero();
        }
        assertThat(leftovers("fhagain")).isEmpty();
    }

    @Test
    @Timeout(60)
    void createAfterAKilledJvmRemovesItsLeftoversEvenWhenTheirNamespaceNameIsGone() throws Exception {
        Process child = startSeparateRun("fhkill", "wait");
        // SIGKILL: neither close() nor the shutdown hook runs.
        child.destroyForcibly();
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        long orphanSshd = Long.parseLong(
                Files.readString(TestHosts.ROOT.resolve("fhkill1/sshd.pid")).strip());
        assertThat(alive(orphanSshd)).isTrue();
        // An interruption between deleting the name and killing the processes leaves sshd without a name.
        succeed(List.of("ip", "netns", "delete", "fhkill1"));

        try (TestHosts again = TestHosts.create("fhkill", 2)) {
            assertThat(alive(orphanSshd)).isFalse();
            assertThat(again.hosts().get(0).exec("true").exitCode()).isZero();
        }
        assertThat(leftovers("fhkill")).isEmpty();
    }

    @Test
    @Timeout(60)
    void theShutdownHookCleansUpAfterAJvmThatNeverCalledClose() throws Exception {
        Process child = startSeparateRun("fhexit", "exit");
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).isZero();

        assertThat(leftovers("fhexit")).isEmpty();
    }

    @Test
    void createRefusesASubnetThatAnotherLinkHolds() {
        run(List.of("ip", "link", "delete", "fhxtaken")); // left by an interrupted run, if any
        succeed(List.of("ip", "link", "add", "fhxtaken", "type", "veth", "peer", "name", "fhxtakenp"));
        try {
            succeed(List.of("ip", "addr", "add", "10.251.246.200/24", "dev", "fhxtaken"));

            assertThatThrownBy(() -> TestHosts.create("fhx", 1))
                    .isInstanceOf(TestHostsException.class)
                    .hasMessage("subnet 10.251.246.0/24 of test hosts 'fhx' is in use: fhxtaken holds 10.251.246.200;"
                            + " choose another prefix or remove that address");
        } finally {
            succeed(List.of("ip", "link", "delete", "fhxtaken"));
        }
        assertThat(leftovers("fhx")).isEmpty();
    }

    @Test
    void aFailedCommandIsReportedWithItsExitCodeAndStderr() {
        assertThatThrownBy(() -> Command.check(List.of("ip", "link", "set", "fhnosuch-v", "down")))
                .isInstanceOf(TestHostsException.class)
                .hasMessage("`ip link set fhnosuch-v down` failed with exit code 1: Cannot find device \"fhnosuch-v\"");
    }

    @Test
    void createRefusesAPrefixThatWouldMakeLongOrAmbiguousNames() {
        assertThatThrownBy(() -> TestHosts.create("fh1", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "test host prefix 'fh1' must be 1 to 8 lowercase letters, so that names of links stay within 15 characters");
        assertThatThrownBy(() -> TestHosts.create("fh", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("test host count 0 must be between 1 and 99");
    }

    /** Starts {@link TestingSeparateRun} in a JVM of its own and returns once its hosts are up. */
    private static Process startSeparateRun(String prefix, String mode) throws IOException {
        Process child = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElseThrow(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        TestingSeparateRun.class.getName(),
                        prefix,
                        "2",
                        mode)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BufferedReader output =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertThat(output.readLine()).isEqualTo("ready");
        return child;
    }

    private static boolean reachable(TestHost host) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host.address(), host.sshPort()), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
                && Files.exists(Path.of("/proc/%d/ns/net".formatted(pid)));
    }

    private static List<Long> namespacePids(String namespace) {
        return run(List.of("ip", "netns", "pids", namespace))
                .stdout()
                .lines()
                .map(Long::parseLong)
                .toList();
    }

    /** What is left on this machine of the harness with {@code prefix}: namespaces, links, processes, mounts, folders. */
    private static List<String> leftovers(String prefix) {
        List<String> found = new ArrayList<>();
        run(List.of("ip", "netns", "list"))
                .stdout()
                .lines()
                .filter(line -> line.startsWith(prefix))
                .forEach(line -> found.add("namespace " + line));
        run(List.of("ip", "-o", "link", "show"))
                .stdout()
                .lines()
                .filter(line -> line.contains(": " + prefix))
                .forEach(line -> found.add("link " + line));
        run(List.of("ps", "-eo", "pid,args"))
                .stdout()
                .lines()
                .filter(line -> line.contains("/var/lib/flotilla-testhosts/" + prefix))
                .forEach(line -> found.add("process " + line));
        try (Stream<String> mounts = Files.lines(Path.of("/proc/self/mountinfo"))) {
            mounts.filter(line -> line.contains("/var/lib/flotilla-testhosts/" + prefix)
                            || line.contains("/run/netns/" + prefix))
                    .forEach(line -> found.add("mount " + line));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        try (Stream<Path> dirs = Files.list(TestHosts.ROOT)) {
            dirs.filter(dir -> dir.getFileName().toString().startsWith(prefix))
                    .forEach(dir -> found.add("folder " + dir));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return found;
    }

    private static void succeed(List<String> command) {
        ExecResult result = run(command);
        assertThat(result.exitCode()).as("%s: %s", command, result.stderr()).isZero();
    }

    private static ExecResult run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            return new ExecResult(process.waitFor(), stdout, stderr);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
