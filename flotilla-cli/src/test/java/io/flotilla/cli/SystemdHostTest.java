package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.ExecResult;
import io.flotilla.testing.TestHost;
import io.flotilla.testing.TestHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * On a host that runs systemd (a test host whose PID 1 is systemd), the agent is a systemd user unit
 * of the deploy user, lingering on: systemd restarts it when it dies, starts it at boot, and the
 * deploy user manages it with no sudo. The agent's MariaDB outlives the agent's death, as with a
 * detached agent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdHostTest {
    private static final String NAME = "sd";
    private static final String UNIT = "flotilla-agent-sd.service";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static TestHost host;
    private static Cli cli;
    private static Path topology;
    private static Path agentDir;

    @BeforeAll
    static void createHost() throws Exception {
        hosts = TestHosts.create("fsy", 1, TestHosts.Init.SYSTEMD);
        host = hosts.hosts().getFirst();
        cli = new Cli(root.resolve("home"));
        topology = root.resolve("topology.yaml");
        // global.user is left out: the deploy user is tidb, created by the bootstrap.
        Files.writeString(topology, """
                global:
                  deploy_dir: /srv/sd/deploy
                  data_dir: /srv/sd/data
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                mariadb_servers:
                  - { host: %s, role: primary }
                """.formatted(host.address()));
        agentDir = host.srv().resolve("sd/deploy/flotilla-agent-sd");
    }

    @AfterAll
    static void cleanUp() {
        try {
            if (Files.exists(root.resolve("home/clusters").resolve(NAME))) {
                cli.run("cluster", "destroy", NAME, "--yes");
            }
        } finally {
            hosts.close();
        }
    }

    private static String sh(String line) {
        ExecResult result = host.exec("sh", "-c", line);
        return result.stdout().strip();
    }

    /** {@code systemctl --user} of the deploy user, asked as root on the host. */
    private static String userSystemctl(String arguments) {
        return sh("runuser -u tidb -- env XDG_RUNTIME_DIR=/run/user/$(id -u tidb) systemctl --user " + arguments);
    }

    private static String mainPid() {
        return userSystemctl("show -p MainPID --value " + UNIT);
    }

    private static String agentPid() throws Exception {
        return Files.readString(agentDir.resolve("agent.pid")).strip();
    }

    private static String status() throws Exception {
        Cli.Result display = cli.run("cluster", "display", NAME, "--format", "json");
        assertThat(display.exitCode()).as(display.all()).isZero();
        JsonNode instance =
                Output.JSON.readTree(display.out()).path("instances").get(0);
        return instance.path("status").asString();
    }

    @Test
    @Order(1)
    void deployMakesTheAgentAUserUnitOfTheDeployUserWithNoSudo() throws Exception {
        Cli.Result deploy = cli.run(Cli.withRootLogin(hosts, "cluster", "deploy", NAME, topology.toString(), "--yes"));
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();

        assertThat(sh("loginctl show-user tidb -p Linger")).isEqualTo("Linger=yes");
        assertThat(userSystemctl("is-active " + UNIT)).isEqualTo("active");
        assertThat(userSystemctl("is-enabled " + UNIT)).isEqualTo("enabled");
        assertThat(mainPid()).isEqualTo(agentPid());
        assertThat(sh("ps -o user= -p " + agentPid())).isEqualTo("tidb");

        Path unitFile = host.home().resolve("tidb/.config/systemd/user").resolve(UNIT);
        String unit = Files.readString(unitFile);
        assertThat(unit)
                .contains("KillMode=process", "Restart=on-failure", "WantedBy=default.target")
                .contains("\"io.flotilla.agent.AgentMain\" \"--dir\" \"/srv/sd/deploy/flotilla-agent-sd\"");
        // No secret in the unit (the agent reads its token from its folder), and no sudo for the deploy user.
        assertThat(unit)
                .doesNotContain(Files.readString(agentDir.resolve("token")).strip())
                .doesNotContain(cli.run("cluster", "password", NAME).out().strip());
        try (Stream<Path> hostSudoers = Files.list(host.etc().resolve("sudoers.d"));
                Stream<Path> machineSudoers = Files.list(Path.of("/etc/sudoers.d"))) {
            assertThat(hostSudoers.map(Path::getFileName).map(Path::toString))
                    .containsExactlyInAnyOrderElementsOf(machineSudoers
                            .map(Path::getFileName)
                            .map(Path::toString)
                            .toList());
        }
        assertThat(Files.readString(host.etc().resolve("sudoers"))).doesNotContain("tidb");
    }

    @Test
    @Order(2)
    void systemdRestartsAKilledAgentWhichAdoptsTheRunningMariadb() throws Exception {
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        String mariadb = sh("pgrep -x mariadbd");
        assertThat(mariadb).isNotEmpty();
        String killed = agentPid();

        assertThat(sh("kill -9 " + killed + " && echo killed")).isEqualTo("killed");

        assertEventually(Duration.ofSeconds(20), () -> {
            assertThat(userSystemctl("is-active " + UNIT)).isEqualTo("active");
            assertThat(mainPid()).isNotIn(killed, "0").isEqualTo(agentPid());
            assertThat(status()).isEqualTo("Up");
        });
        assertThat(userSystemctl("show -p NRestarts --value " + UNIT)).isEqualTo("1");
        // The same MariaDB process, adopted: the agent's death (KillMode=process) did not take it down.
        assertThat(sh("pgrep -x mariadbd")).isEqualTo(mariadb);
    }

    @Test
    @Order(3)
    void stopAndStartLeaveTheAgentUnitRunning() throws Exception {
        String agent = mainPid();
        Cli.Result stop = cli.run("cluster", "stop", NAME);
        assertThat(stop.exitCode()).as(stop.all()).isZero();
        assertThat(sh("pgrep -x mariadbd || echo none")).isEqualTo("none");
        assertThat(mainPid()).isEqualTo(agent);

        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        assertThat(status()).isEqualTo("Up");
        assertThat(mainPid()).isEqualTo(agent);
    }

    @Test
    @Order(4)
    void aRebootStartsTheAgentAgainWhichStartsMariadb() throws Exception {
        host.restart();
        // No command of Flotilla: systemd starts the lingering user's manager, which starts the agent.
        assertEventually(Duration.ofSeconds(30), () -> {
            assertThat(userSystemctl("is-active " + UNIT)).isEqualTo("active");
            assertThat(status()).isEqualTo("Up");
        });
        assertThat(mainPid()).isEqualTo(agentPid());
    }

    @Test
    @Order(5)
    void destroyRemovesTheUnitAndTheLingeringFlotillaTurnedOn() throws Exception {
        Cli.Result destroy = cli.run("cluster", "destroy", NAME, "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();

        Path userUnits = host.home().resolve("tidb/.config/systemd/user");
        assertThat(userUnits.resolve(UNIT)).doesNotExist();
        assertThat(userUnits.resolve("default.target.wants").resolve(UNIT)).doesNotExist();
        assertThat(host.home().resolve("tidb/.config/flotilla")).doesNotExist();
        assertThat(sh("test -e /var/lib/systemd/linger/tidb && echo on || echo off"))
                .isEqualTo("off");
        assertEventually(Duration.ofSeconds(10), () -> {
            assertThat(sh("pgrep -u tidb || echo none")).isEqualTo("none");
            assertThat(sh("systemctl is-active user@$(id -u tidb).service")).isEqualTo("inactive");
        });
        // The roots the bootstrap made for the deploy user stay (as with an SSH bootstrap elsewhere), emptied.
        assertThat(host.srv().resolve("sd/deploy")).isEmptyDirectory();
        assertThat(host.srv().resolve("sd/data")).isEmptyDirectory();
    }
}
