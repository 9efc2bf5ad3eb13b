package io.flotilla.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A test host run by systemd: it boots, serves a lingering user's systemd --user, and leaves this machine alone. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class SystemdTestHostsTest {
    private static TestHosts harness;
    private static TestHost host;
    private static Path sentinel;

    @BeforeAll
    static void createHost() throws Exception {
        // systemd boots real machines and empties /tmp when it does: this machine's must survive it.
        sentinel = Files.createTempFile(Path.of("/tmp"), "fsyt-sentinel-", "");
        harness = TestHosts.create("fsyt", 1, TestHosts.Init.SYSTEMD);
        host = harness.hosts().getFirst();
    }

    @AfterAll
    static void closeHost() throws Exception {
        try {
            if (harness != null) {
                harness.close();
            }
        } finally {
            Files.deleteIfExists(sentinel);
        }
    }

    private static ExecResult sh(String line) {
        return host.exec("sh", "-c", line);
    }

    @Test
    @Order(1)
    void systemdIsPid1OfTheHostAndRunsItsSshd() {
        assertThat(host.init()).isEqualTo(TestHosts.Init.SYSTEMD);
        ExecResult result = sh(
                "cat /proc/1/comm; systemctl is-system-running; systemctl is-active flotilla-testhost-sshd.service; test -d /run/systemd/system && echo booted-by-systemd");
        assertThat(result.stdout()).as(result.stderr()).isEqualTo("systemd\nrunning\nactive\nbooted-by-systemd\n");
    }

    @Test
    @Order(2)
    void theHostSeesOnlyItsOwnProcessesAndCannotChangeThisMachine() throws Exception {
        // This JVM runs on the machine; the host's PID namespace does not show it.
        assertThat(sh("ps -eo comm --no-headers").stdout())
                .doesNotContain("java")
                .contains("systemd", "sshd");
        assertThat(sentinel).exists();
        ExecResult tmp = sh("echo host > /tmp/fsyt-host-file && cat /tmp/fsyt-host-file");
        assertThat(tmp.stdout()).isEqualTo("host\n");
        assertThat(Path.of("/tmp/fsyt-host-file")).doesNotExist();
        for (String path : new String[] {"/var/lib/fsyt-probe", "/usr/fsyt-probe", "/root/fsyt-probe"}) {
            ExecResult write = sh("touch " + path);
            assertThat(write.exitCode()).isNotZero();
            assertThat(write.stderr()).contains("Read-only file system");
            assertThat(Path.of(path)).doesNotExist();
        }
        ExecResult sysctl = sh("cat /proc/sys/fs/file-max > /proc/sys/fs/file-max");
        assertThat(sysctl.stderr()).contains("Read-only file system");
        // Its own folders stay writable, and are the ones the harness shows.
        assertThat(sh("touch /srv/fsyt-probe /home/fsyt-probe /etc/fsyt-probe").exitCode())
                .isZero();
        assertThat(host.srv().resolve("fsyt-probe")).exists();
        assertThat(host.home().resolve("fsyt-probe")).exists();
        assertThat(host.etc().resolve("fsyt-probe")).exists();
    }

    @Test
    @Order(3)
    void aLingeringUserGetsItsOwnSystemdWithoutLoggingIn() {
        ExecResult linger = sh("useradd --create-home fsytuser && loginctl enable-linger fsytuser && echo done");
        assertThat(linger.stdout()).as(linger.stderr()).isEqualTo("done\n");
        ExecResult user = sh(
                "runuser -u fsytuser -- env XDG_RUNTIME_DIR=/run/user/$(id -u fsytuser) systemctl --user is-system-running --wait");
        assertThat(user.stdout()).as(user.stderr()).isEqualTo("running\n");
    }

    @Test
    @Order(4)
    void aRestartBootsAgainAndTheLingeringUsersManagerComesBack() {
        host.restart();
        assertThat(sh("systemctl is-system-running").stdout()).isEqualTo("running\n");
        ExecResult user = sh(
                "runuser -u fsytuser -- env XDG_RUNTIME_DIR=/run/user/$(id -u fsytuser) systemctl --user is-system-running --wait");
        assertThat(user.stdout()).as(user.stderr()).isEqualTo("running\n");
        assertThat(sh("test -e /tmp/fsyt-host-file || echo gone").stdout()).isEqualTo("gone\n");
    }

    @Test
    @Order(5)
    void closeLeavesNoCgroupNamespaceOrProcess() {
        Path cgroup = SystemdHost.cgroup(host.name());
        assertThat(cgroup).isDirectory();
        harness.close();
        assertThat(cgroup).doesNotExist();
        assertThat(NamespaceProcesses.inodeOf(host.name())).isEmpty();
        assertThat(sentinel).exists();
    }
}
