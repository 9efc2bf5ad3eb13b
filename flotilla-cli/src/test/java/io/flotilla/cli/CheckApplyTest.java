package io.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.TestHost;
import io.flotilla.testing.TestHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cluster check --apply} on a real host (a network namespace with its own sshd and its own
 * /etc): what it fixes is kept in the host's /etc the way TiUP's --apply keeps it, and a second check
 * passes those rules. Only net.core.somaxconn is changed for real: it belongs to the host's network
 * namespace, while fs.file-max, vm.swappiness and transparent hugepages are this whole machine's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CheckApplyTest {
    private static final String SOMAXCONN = "sysctl net.core.somaxconn";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static TestHost host;
    private static Cli cli;
    private static Path topology;

    @BeforeAll
    static void createHosts() throws Exception {
        hosts = TestHosts.create("fpl", 1);
        host = hosts.hosts().getFirst();
        cli = new Cli(root.resolve("home"));
        topology = root.resolve("topology.yaml");
        Files.writeString(topology, """
                global:
                  user: fleet
                  deploy_dir: /srv/pl/deploy
                etcd_servers:
                  - { host: %s, ignore_exporter: true }
                """.formatted(host.address()));
    }

    @AfterAll
    static void removeHosts() {
        hosts.close();
    }

    private static Cli.Result check(String user, String only, boolean apply) {
        List<String> args = new ArrayList<>(List.of(
                "cluster",
                "check",
                topology.toString(),
                "--user",
                user,
                "-i",
                hosts.clientKey().toString(),
                "--known-hosts",
                hosts.knownHosts().toString(),
                "--only",
                only));
        if (apply) {
            args.add("--apply");
        }
        return cli.run(args.toArray(String[]::new));
    }

    /** A row of the table as a pattern; {@code detail} is a pattern too. */
    private static String row(String check, String verdict, String detail) {
        return "(?m)^%s +%s +%s +%s$".formatted(host.address().replace(".", "\\."), check, verdict, detail);
    }

    private static void setSomaxconn(int value) {
        assertThat(host.exec("sysctl", "-w", "net.core.somaxconn=" + value).exitCode())
                .isZero();
    }

    private static String somaxconn() {
        return host.exec("cat", "/proc/sys/net/core/somaxconn").stdout().strip();
    }

    @Test
    @Order(1)
    void applyKeepsTheSysctlValueAndTheLimitInTheHostsEtcAndASecondCheckPasses() throws Exception {
        String machine =
                Files.readString(Path.of("/proc/sys/net/core/somaxconn")).strip();
        setSomaxconn(4096);
        String only = SOMAXCONN + ",limit nofile";
        Cli.Result before = check("root", only, false);
        assertThat(before.exitCode()).as(before.all()).isZero();
        assertThat(before.out())
                .containsPattern(row(SOMAXCONN, "Warn", "4096, want 32768 or more"))
                .containsPattern(
                        row(
                                "limit nofile",
                                "Warn",
                                "\\d+ < 1000000; --apply \\(or you\\) adds `fleet soft nofile 1000000` and `fleet hard nofile 1000000` to /etc/security/limits\\.d/99-flotilla\\.conf"));

        Cli.Result apply = check("root", only, true);
        assertThat(apply.exitCode()).as(apply.all()).isZero();
        assertThat(apply.out()).contains("""

                        Applied:
                          %1$s limit nofile: wrote `fleet soft nofile 1000000` and `fleet hard nofile 1000000` to /etc/security/limits.d/99-flotilla.conf: they apply from fleet's next login
                          %1$s sysctl net.core.somaxconn: set net.core.somaxconn=32768 and kept it in /etc/sysctl.d/99-flotilla.conf

                        2 pass, 0 warn, 0 fail
                        """.formatted(host.address()));
        Path sysctl = host.etc().resolve("sysctl.d/99-flotilla.conf");
        Path limits = host.etc().resolve("security/limits.d/99-flotilla.conf");
        String sysctlContent = """
                # Written by flotilla cluster check --apply: kernel settings of TiUP's pre-flight rules.
                net.core.somaxconn = 32768
                """;
        String limitsContent = """
                # Written by flotilla cluster check --apply: limits of TiUP's pre-flight rules.
                fleet soft nofile 1000000
                fleet hard nofile 1000000
                """;
        assertThat(sysctl).hasContent(sysctlContent);
        assertThat(limits).hasContent(limitsContent);
        assertThat(somaxconn()).isEqualTo("32768");
        // This machine is left alone: its own value and its own /etc.
        assertThat(Files.readString(Path.of("/proc/sys/net/core/somaxconn")).strip())
                .isEqualTo(machine);
        assertThat(Path.of("/etc/sysctl.d/99-flotilla.conf")).doesNotExist();
        assertThat(Path.of("/etc/security/limits.d/99-flotilla.conf")).doesNotExist();

        Cli.Result after = check("root", only, false);
        assertThat(after.exitCode()).as(after.all()).isZero();
        assertThat(after.out())
                .containsPattern(row(SOMAXCONN, "Pass", "32768"))
                .containsPattern(
                        row(
                                "limit nofile",
                                "Pass",
                                "\\d+ in this session of root; the limits files give fleet 1000000 \\(soft\\) and 1000000 \\(hard\\) from its next login"))
                .endsWith("%n2 pass, 0 warn, 0 fail%n".formatted());

        // What a boot does with the file (systemd-sysctl reads /etc/sysctl.d) brings the value back.
        setSomaxconn(4096);
        assertThat(host.exec("sysctl", "-p", "/etc/sysctl.d/99-flotilla.conf").exitCode())
                .isZero();
        assertThat(somaxconn()).isEqualTo("32768");

        // Applying again replaces Flotilla's lines instead of adding more.
        setSomaxconn(4096);
        Cli.Result again = check("root", SOMAXCONN, true);
        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(sysctl).hasContent(sysctlContent);
        assertThat(limits).hasContent(limitsContent);
        assertThat(somaxconn()).isEqualTo("32768");
    }

    @Test
    @Order(2)
    void aLoginThatIsNotRootNorASudoerFailsTheApplyOfItsHost() throws Exception {
        assertThat(host.exec(
                                "sh",
                                "-c",
                                "useradd --create-home plain && usermod -p '*' plain && install -d -m 0700 -o plain /home/plain/.ssh")
                        .exitCode())
                .isZero();
        Path keys = host.home().resolve("plain/.ssh/authorized_keys");
        Files.copy(Path.of(hosts.clientKey() + ".pub"), keys);
        assertThat(host.exec("chown", "plain", "/home/plain/.ssh/authorized_keys")
                        .exitCode())
                .isZero();
        setSomaxconn(4096);
        String sysctlBefore = Files.readString(host.etc().resolve("sysctl.d/99-flotilla.conf"));

        Cli.Result refused = check("plain", SOMAXCONN, true);
        assertThat(refused.exitCode()).as(refused.all()).isEqualTo(1);
        assertThat(refused.out())
                .containsPattern(row(SOMAXCONN, "Warn", "4096, want 32768 or more"))
                .containsPattern(row(
                        "apply",
                        "Fail",
                        "plain on %s is not root and may not run sudo without a password: --apply cannot change /etc/sysctl.d/99-flotilla.conf; run it again with --user root \\(or a passwordless sudoer\\)"
                                .formatted(host.address())))
                .contains("Applied:%n  %s sysctl net.core.somaxconn: not changed: needs root or passwordless sudo%n"
                        .formatted(host.address()))
                .endsWith("%n0 pass, 1 warn, 1 fail%n".formatted());
        assertThat(somaxconn()).isEqualTo("4096");
        assertThat(host.etc().resolve("sysctl.d/99-flotilla.conf")).hasContent(sysctlBefore);
    }
}
