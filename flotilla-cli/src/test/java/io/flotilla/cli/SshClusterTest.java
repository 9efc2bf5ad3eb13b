package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.TestHost;
import io.flotilla.testing.TestHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A replicated cluster on three real hosts (network namespaces with their own sshd), deployed over
 * SSH with host keys pinned by a known_hosts file.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SshClusterTest {
    private static final String NAME = "multi";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static Cli cli;
    private static Path topology;

    @BeforeAll
    static void createHosts() throws Exception {
        hosts = TestHosts.create("fsc", 3);
        cli = new Cli(root.resolve("home"));
        List<TestHost> all = hosts.hosts();
        topology = root.resolve("topology.yaml");
        Files.writeString(topology, """
                global:
                  user: root
                  deploy_dir: /srv/flotilla/deploy
                  data_dir: /srv/flotilla/data
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                mariadb_servers:
                  - { host: %1$s, role: primary }
                  - { host: %2$s, role: replica }
                  - { host: %3$s, role: replica }
                haproxy_servers:
                  - { host: %1$s }
                monitoring_servers:
                  - { host: %1$s }
                """.formatted(
                        all.get(0).address(), all.get(1).address(), all.get(2).address()));
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

    private static String[] deploy(Path knownHosts) {
        return new String[] {
            "cluster",
            "deploy",
            NAME,
            topology.toString(),
            "--yes",
            "--user",
            "root",
            "-i",
            hosts.clientKey().toString(),
            "--known-hosts",
            knownHosts.toString()
        };
    }

    @Test
    @Order(1)
    void anUnknownHostKeyIsRefusedBeforeAnythingChanges() throws Exception {
        Path empty = root.resolve("empty_known_hosts");
        Files.writeString(empty, "");
        Cli.Result refused = cli.run(deploy(empty));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains(hosts.hosts().getFirst().hostKeyFingerprint());
        assertThat(root.resolve("home/clusters").resolve(NAME)).doesNotExist();
        for (TestHost host : hosts.hosts()) {
            assertThat(host.srv().resolve("flotilla")).doesNotExist();
        }
    }

    @Test
    @Order(2)
    void deployAndStartOnThreeHosts() throws Exception {
        Cli.Result deploy = cli.run(deploy(hosts.knownHosts()));
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();

        Cli.Result display = cli.run("cluster", "display", NAME, "--format", "json");
        JsonNode json = Output.JSON.readTree(display.out());
        assertThat(json.path("instances")
                        .valueStream()
                        .map(each -> each.path("status").asString()))
                .containsOnly("Up");
        assertThat(json.path("instances")
                        .valueStream()
                        .map(each -> each.path("host").asString())
                        .distinct())
                .hasSize(3);
    }

    @Test
    @Order(3)
    void aRowWrittenThroughTheGatewayAppearsOnBothReplicas() throws Exception {
        String password = cli.run("cluster", "password", NAME).out().strip();
        String gateway = hosts.hosts().getFirst().address();
        try (Connection primary = LocalClusterTest.connect(gateway, 4000, password);
                Statement statement = primary.createStatement()) {
            statement.execute("CREATE DATABASE fleet");
            statement.execute("CREATE TABLE fleet.ships (id INT PRIMARY KEY, name VARCHAR(20))");
            statement.execute("INSERT INTO fleet.ships VALUES (1, 'flagship')");
        }
        for (TestHost replica : hosts.hosts().subList(1, 3)) {
            assertEventually(Duration.ofSeconds(20), () -> {
                try (Connection connection = LocalClusterTest.connect(replica.address(), 3306, password);
                        Statement statement = connection.createStatement();
                        ResultSet rows = statement.executeQuery("SELECT name FROM fleet.ships WHERE id = 1")) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getString(1)).isEqualTo("flagship");
                }
            });
        }
    }

    @Test
    @Order(3)
    void execRunsOnEveryHostOverItsConnection() throws Exception {
        Cli.Result all = cli.run("cluster", "exec", NAME, "--command", "ip -4 -o addr show", "--format", "json");
        assertThat(all.exitCode()).as(all.all()).isZero();
        JsonNode results = Output.JSON.readTree(all.out()).path("results");
        assertThat(results).hasSize(3);
        for (int i = 0; i < 3; i++) {
            TestHost host = hosts.hosts().get(i);
            assertThat(results.get(i).path("host").asString()).isEqualTo(host.address());
            assertThat(results.get(i).path("stdout").asString()).contains("inet " + host.address() + "/");
        }
        String second = hosts.hosts().get(1).address();
        Cli.Result one = cli.run("cluster", "exec", NAME, "--command", "exit 3", "--host", second);
        assertThat(one.exitCode()).isEqualTo(1);
        assertThat(one.out()).isEqualTo("== %s (exit 3)%n".formatted(second));
        Cli.Result unknown = cli.run("cluster", "exec", NAME, "--command", "true", "--host", "10.251.250.250");
        assertThat(unknown.err()).startsWith("Error: 10.251.250.250 not in cluster 'multi'; its hosts are ");
    }

    /** The programs running in a host's network namespace (its PIDs are shared with this machine). */
    private static List<String> processesIn(TestHost host) throws Exception {
        Process ip = new ProcessBuilder("ip", "netns", "pids", host.name()).start();
        String pids = new String(ip.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        ip.waitFor();
        return pids.lines()
                .map(String::strip)
                .filter(pid -> !pid.isEmpty())
                .map(pid -> ProcessHandle.of(Long.parseLong(pid))
                        .flatMap(process -> process.info().command())
                        .map(command -> Path.of(command).getFileName().toString())
                        .orElse("gone"))
                .filter(command -> !command.equals("gone"))
                .distinct()
                .toList();
    }

    @Test
    @Order(4)
    void destroyLeavesEveryHostClean() throws Exception {
        Cli.Result destroy = cli.run("cluster", "destroy", NAME, "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
        for (TestHost host : hosts.hosts()) {
            // The cluster's deploy and data roots go; /srv/flotilla above them is the operator's choice of place.
            assertThat(host.srv().resolve("flotilla")).isEmptyDirectory();
            assertEventually(
                    Duration.ofSeconds(10), () -> assertThat(processesIn(host)).containsOnly("sshd"));
        }
    }
}
