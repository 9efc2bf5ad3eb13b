package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.TestHosts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
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
 * Switchover and etcd scale-out on real hosts (network namespaces with their own sshd): a MariaDB
 * primary and two replicas on three hosts, HAProxy, Prometheus and two etcd members. A writer keeps
 * inserting through the gateway while the primary moves to another host; a third etcd member joins;
 * the new primary's host then loses its MariaDB with a switchover back first.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SshSwitchoverTest {
    private static final String NAME = "switched";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static Cli cli;
    private static String password;

    @BeforeAll
    static void deployAndStart() throws Exception {
        hosts = TestHosts.create("fsw", 3);
        cli = new Cli(root.resolve("home"));
        Path topology = root.resolve("topology.yaml");
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
                etcd_servers:
                  - { host: %1$s }
                  - { host: %2$s }
                """.formatted(address(0), address(1), address(2)));
        Cli.Result deploy = cli.run(Cli.withRootLogin(hosts, "cluster", "deploy", NAME, topology.toString(), "--yes"));
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        password = cli.run("cluster", "password", NAME).out().strip();
        try (Connection primary = LocalClusterTest.connect(address(0), 4000, password);
                Statement statement = primary.createStatement()) {
            statement.execute("CREATE DATABASE fleet");
            statement.execute("CREATE TABLE fleet.log (id INT PRIMARY KEY, written_on BIGINT)");
        }
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

    private static String address(int host) {
        return hosts.hosts().get(host).address();
    }

    private static String mariadb(int host) {
        return address(host) + ":3306";
    }

    @Test
    @Order(1)
    void thePrimaryMovesToAnotherHostAndNoAcknowledgedWriteIsLost() throws Exception {
        GatewayWriter writer = new GatewayWriter(address(0), 4000, password);
        writer.start();
        try {
            assertEventually(
                    Duration.ofSeconds(10),
                    () -> assertThat(writer.acknowledged()).hasSizeGreaterThan(20));
            long started = System.nanoTime();
            Cli.Result switchover = cli.run("cluster", "switchover", NAME, "--to", mariadb(1), "--format", "json");
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat(switchover.exitCode()).as(switchover.all()).isZero();
            assertThat(Output.JSON.readTree(switchover.out()).path("primary").asString())
                    .isEqualTo(mariadb(1));
            int before = writer.acknowledged().size();
            assertEventually(
                    Duration.ofSeconds(20),
                    () -> assertThat(writer.acknowledged()).hasSizeGreaterThan(before + 20));
            writer.stop();
            System.out.printf(
                    "switchover across hosts took %d ms; the gateway writer had %d writes acknowledged, %d failed, longest wait %d ms%n",
                    millis, writer.acknowledged().size(), writer.failures(), writer.longestGapMillis());
        } finally {
            writer.stop();
        }
        List<Integer> acknowledged = writer.acknowledged();
        for (int host = 0; host < 3; host++) {
            int each = host;
            assertEventually(
                    Duration.ofSeconds(20),
                    () -> assertThat(ids(address(each))).as(mariadb(each)).containsAll(acknowledged));
        }
        assertThat(queryLong(address(1), "SELECT written_on FROM fleet.log WHERE id = " + acknowledged.getLast()))
                .isEqualTo(2L);
        assertThat(queryLong(address(0), "SELECT @@read_only")).isEqualTo(1L);
        assertThat(queryLong(address(1), "SELECT @@read_only")).isZero();
        assertThat(roles())
                .containsExactly(
                        mariadb(0) + " mariadb-replica Up",
                        mariadb(1) + " mariadb-primary Up",
                        mariadb(2) + " mariadb-replica Up");
        assertThat(get("http://%s:8404/metrics".formatted(address(0))))
                .contains("proxy=\"mariadb_primary\",server=\"%s_3306\"".formatted(address(1)))
                .doesNotContain("proxy=\"mariadb_primary\",server=\"%s_3306\"".formatted(address(0)));
    }

    @Test
    @Order(2)
    void aThirdEtcdMemberJoinsOverSsh() throws Exception {
        etcdctl(address(0), "put", "fleet", "flagship");
        Path fragment = root.resolve("etcd.yaml");
        Files.writeString(fragment, """
                etcd_servers:
                  - { host: %s }
                """.formatted(address(2)));

        Cli.Result scaleOut = cli.run("cluster", "scale-out", NAME, fragment.toString(), "--yes");

        assertThat(scaleOut.exitCode()).as(scaleOut.all()).isZero();
        assertThat(scaleOut.err()).contains("add etcd member etcd-%s-2379".formatted(address(2)));
        String members = etcdctl(address(0), "member", "list");
        assertThat(members.lines().filter(line -> line.contains(", started, "))).hasSize(3);
        assertThat(etcdctl(address(2), "get", "fleet", "--print-value-only")).isEqualTo("flagship\n");
        assertThat(get("http://%s:9090/api/v1/status/config".formatted(address(0))))
                .contains("- %s:2379\\n".formatted(address(2)));
    }

    @Test
    @Order(3)
    void theNewPrimaryLeavesWithASwitchoverBackFirst() throws Exception {
        Cli.Result scaleIn =
                cli.run("cluster", "scale-in", NAME, "-N", mariadb(1), "--switchover-to", mariadb(0), "--yes");

        assertThat(scaleIn.exitCode()).as(scaleIn.all()).isZero();
        assertThat(scaleIn.out()).isEqualTo("Cluster 'switched' scaled in: mariadb %s.%n".formatted(mariadb(1)));
        assertThat(roles()).containsExactly(mariadb(0) + " mariadb-primary Up", mariadb(2) + " mariadb-replica Up");
        try (Connection gateway = LocalClusterTest.connect(address(0), 4000, password);
                Statement statement = gateway.createStatement()) {
            statement.execute("INSERT INTO fleet.log VALUES (1000000, @@server_id)");
        }
        assertThat(queryLong(address(0), "SELECT written_on FROM fleet.log WHERE id = 1000000"))
                .isEqualTo(1L);
        assertEventually(
                Duration.ofSeconds(20),
                () -> assertThat(queryLong(address(2), "SELECT COUNT(*) FROM fleet.log WHERE id = 1000000"))
                        .isEqualTo(1L));
        assertThat(hosts.hosts().get(1).srv().resolve("flotilla/data/mariadb-3306"))
                .doesNotExist();
    }

    /** {@code id role status} of each MariaDB instance, as `cluster display` shows them. */
    private static List<String> roles() {
        Cli.Result display = cli.run("cluster", "display", NAME);
        assertThat(display.exitCode()).as(display.all()).isZero();
        return display.out()
                .lines()
                .filter(line -> line.contains(" mariadb-"))
                .map(line -> line.trim().split("\\s+"))
                .map(fields -> fields[0] + " " + fields[1] + " " + fields[4])
                .toList();
    }

    private static List<Integer> ids(String host) throws Exception {
        List<Integer> ids = new ArrayList<>();
        try (Connection connection = LocalClusterTest.connect(host, 3306, password);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT id FROM fleet.log")) {
            while (rows.next()) {
                ids.add(rows.getInt(1));
            }
        }
        return ids;
    }

    private static long queryLong(String host, String sql) throws Exception {
        try (Connection connection = LocalClusterTest.connect(host, 3306, password);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getLong(1);
        }
    }

    private static String etcdctl(String host, String... args) throws Exception {
        List<String> command =
                new ArrayList<>(List.of("etcdctl", "--endpoints=%s:2379".formatted(host), "--dial-timeout=5s"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        return output;
    }

    private static String get(String url) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertThat(response.statusCode()).as(url).isEqualTo(200);
            return response.body();
        }
    }
}
