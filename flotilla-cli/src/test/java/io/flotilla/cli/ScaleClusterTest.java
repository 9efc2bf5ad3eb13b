package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.TestHost;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Scale-out and scale-in of a replicated cluster on real hosts (network namespaces with their own
 * sshd): a replica cloned with mariadb-backup onto a fourth host, joined to the gateway's read
 * pool and to Prometheus, then removed again leaving the host clean.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleClusterTest {
    private static final String NAME = "scaled";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static Cli cli;
    private static Path topology;
    private static String password;

    @BeforeAll
    static void createHosts() throws Exception {
        hosts = TestHosts.create("fso", 4);
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

    private static Path knownHosts() {
        return root.resolve("known_hosts");
    }

    private static TestHost fourth() {
        return hosts.hosts().get(3);
    }

    private static String gateway() {
        return hosts.hosts().getFirst().address();
    }

    @Test
    @Order(1)
    void deployStartAndWriteARow() throws Exception {
        // The fourth host's key is not pinned yet: a scale-out to it is refused until it is.
        Files.writeString(
                knownHosts(),
                Files.readString(hosts.knownHosts())
                        .lines()
                        .filter(line -> !line.startsWith(fourth().address() + " "))
                        .map(line -> line + "\n")
                        .reduce("", String::concat));
        Cli.Result deploy = cli.run(
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
                knownHosts().toString());
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        password = cli.run("cluster", "password", NAME).out().strip();
        try (Connection primary = LocalClusterTest.connect(gateway(), 4000, password);
                Statement statement = primary.createStatement()) {
            statement.execute("CREATE DATABASE fleet");
            statement.execute("CREATE TABLE fleet.ships (id INT PRIMARY KEY, name VARCHAR(20))");
            statement.execute("INSERT INTO fleet.ships VALUES (1, 'before')");
        }
    }

    @Test
    @Order(2)
    void aFragmentWhosePortIsTakenIsRefusedWithItsPositionAndNothingChanges() throws Exception {
        Path stored = root.resolve("home/clusters").resolve(NAME).resolve("topology.yaml");
        String before = Files.readString(stored);
        Path fragment = root.resolve("conflict.yaml");
        String first = gateway();
        // 9090 is Prometheus's port on the first host.
        Files.writeString(fragment, """
                mariadb_servers:
                  - host: %s
                    port: 9090
                  - host: %s
                """.formatted(first, fourth().address()));
        Cli.Result refused = cli.run("cluster", "scale-out", NAME, fragment.toString(), "--yes");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err()).isEqualTo("""
                        Error: the topology has 1 problem:
                        %1$s:2:5: port conflict for '9090' with cluster 'scaled': 'mariadb_servers:%2$s.port' (mariadb %2$s:9090 at line 2) is already used by 'monitoring_servers:%2$s.port' (prometheus %2$s:9090) of cluster 'scaled'; choose another port or host
                        Nothing was changed.
                        """.formatted(fragment, first));
        assertThat(Files.readString(stored)).isEqualTo(before);
        assertThat(fourth().srv().resolve("flotilla")).doesNotExist();
        assertThat(Files.readString(root.resolve("home/clusters").resolve(NAME).resolve("meta.json")))
                .doesNotContain(fourth().address());
    }

    @Test
    @Order(3)
    void removingThePrimaryIsRefused() {
        String primary = hosts.hosts().getFirst().address() + ":3306";
        Cli.Result refused = cli.run("cluster", "scale-in", NAME, "-N", primary, "--yes");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo(
                        "Error: %s is the MariaDB primary of cluster 'scaled': every write goes to it. Switch it over to a replica as it leaves with --switchover-to HOST:PORT (its replicas: %s:3306, %s:3306), or first with `flotilla cluster switchover scaled --to HOST:PORT`%n"
                                .formatted(
                                        primary,
                                        hosts.hosts().get(1).address(),
                                        hosts.hosts().get(2).address()));
    }

    @Test
    @Order(4)
    void aScaleOutKilledMidwayFinishesWhenRunAgainAndTheCloneCatchesUp() throws Exception {
        Path fragment = root.resolve("scale-out.yaml");
        Files.writeString(fragment, """
                mariadb_servers:
                  - host: %s
                """.formatted(fourth().address()));
        Path meta = root.resolve("home/clusters").resolve(NAME).resolve("meta.json");
        String metaBefore = Files.readString(meta);
        Cli.Result unknownKey = cli.run("cluster", "scale-out", NAME, fragment.toString(), "--yes");
        assertThat(unknownKey.exitCode()).isEqualTo(1);
        assertThat(unknownKey.err())
                .startsWith("Error: ssh root@" + fourth().address() + ":22: ")
                .contains(fourth().hostKeyFingerprint());
        assertThat(Files.readString(meta)).isEqualTo(metaBefore);
        assertThat(fourth().srv().resolve("flotilla")).doesNotExist();
        Files.writeString(
                knownHosts(),
                Files.readString(hosts.knownHosts())
                        .lines()
                        .filter(line -> line.startsWith(fourth().address() + " "))
                        .map(line -> line + "\n")
                        .reduce("", String::concat),
                java.nio.file.StandardOpenOption.APPEND);

        Cli.Result dryRun = cli.run("cluster", "scale-out", NAME, fragment.toString(), "--dry-run");
        assertThat(dryRun.exitCode()).as(dryRun.all()).isZero();
        assertThat(dryRun.out())
                .startsWith("scale-out scaled: ")
                .contains("- install agent on " + fourth().address())
                .contains("- clone %s:3306 from %s:3306".formatted(fourth().address(), gateway()))
                .contains("- reload haproxy %s:4000".formatted(gateway()))
                .contains("- reload prometheus %s:9090".formatted(gateway()));

        Path journal = root.resolve("home/clusters").resolve(NAME).resolve("journal/current.jsonl");
        Process first = cli.start(
                root.resolve("first-scale-out.log"), "cluster", "scale-out", NAME, fragment.toString(), "--yes");
        try {
            assertEventually(
                    Duration.ofSeconds(90),
                    () -> assertThat(Files.readString(journal))
                            .contains(
                                    "\"event\":\"done\"",
                                    "\"step\":\"scale-out/clone/" + fourth().address() + ":3306\""));
        } finally {
            first.destroyForcibly();
            first.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(cli.run("cluster", "display", NAME, "--format", "json").out())
                .doesNotContain(fourth().address());

        Cli.Result again = cli.run("cluster", "scale-out", NAME, fragment.toString(), "--yes", "--format", "json");
        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.err()).contains("Resuming operation");
        JsonNode added = Output.JSON.readTree(again.out()).path("added");
        assertThat(added.valueStream().map(each -> each.path("id").asString()))
                .containsExactlyInAnyOrder(
                        fourth().address() + ":3306", fourth().address() + ":9100", fourth().address() + ":9115");

        try (Connection primary = LocalClusterTest.connect(gateway(), 4000, password);
                Statement statement = primary.createStatement()) {
            statement.execute("INSERT INTO fleet.ships VALUES (2, 'after')");
        }
        assertEventually(Duration.ofSeconds(20), () -> {
            try (Connection replica = LocalClusterTest.connect(fourth().address(), 3306, password);
                    Statement statement = replica.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT name FROM fleet.ships ORDER BY id")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("before");
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("after");
            }
        });
        // The read port round-robins over the replicas whose agents say they replicate: the new one (server_id 4) is
        // among them.
        assertEventually(
                Duration.ofSeconds(20), () -> assertThat(readPoolServerIds()).contains(4L));
        assertThat(haproxyMetrics()).contains(serverLabel(fourth()));
        assertThat(prometheusConfig()).contains(fourth().address() + ":9100");

        JsonNode display = Output.JSON.readTree(
                cli.run("cluster", "display", NAME, "--format", "json").out());
        assertThat(display.path("instances")
                        .valueStream()
                        .filter(each -> each.path("host").asString().equals(fourth().address()))
                        .map(each -> each.path("status").asString()))
                .hasSize(3)
                .containsOnly("Up");
    }

    @Test
    @Order(5)
    void scaleInTakesTheReplicaOutOfThePoolAndLeavesItsHostClean() throws Exception {
        Cli.Result scaleIn =
                cli.run("cluster", "scale-in", NAME, "-N", fourth().address() + ":3306", "--yes", "--format", "json");
        assertThat(scaleIn.exitCode()).as(scaleIn.all()).isZero();
        assertThat(Output.JSON
                        .readTree(scaleIn.out())
                        .path("removed")
                        .valueStream()
                        .map(each -> each.path("id").asString()))
                .containsExactly(
                        fourth().address() + ":3306", fourth().address() + ":9100", fourth().address() + ":9115");
        assertThat(haproxyMetrics()).doesNotContain(serverLabel(fourth()));
        assertThat(readPoolServerIds()).doesNotContain(4L).isNotEmpty();
        assertThat(prometheusConfig()).doesNotContain(fourth().address());
        assertThat(Files.readString(root.resolve("home/clusters").resolve(NAME).resolve("topology.yaml")))
                .doesNotContain(fourth().address());
        assertThat(fourth().srv().resolve("flotilla")).isEmptyDirectory();
        assertEventually(
                Duration.ofSeconds(10), () -> assertThat(processesIn(fourth())).containsOnly("sshd"));
    }

    /** The server ids answering on the gateway's read port over several connections. */
    private static Set<Long> readPoolServerIds() throws Exception {
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < 9; i++) {
            try (Connection connection = LocalClusterTest.connect(gateway(), 4001, password);
                    Statement statement = connection.createStatement();
                    ResultSet row = statement.executeQuery("SELECT @@server_id")) {
                row.next();
                ids.add(row.getLong(1));
            }
        }
        return ids;
    }

    private static String serverLabel(TestHost host) {
        return "proxy=\"mariadb_replicas\",server=\"%s_3306\"".formatted(host.address());
    }

    private static String haproxyMetrics() throws Exception {
        return get("http://%s:8404/metrics".formatted(gateway()));
    }

    private static String prometheusConfig() throws Exception {
        return get("http://%s:9090/api/v1/status/config".formatted(gateway()));
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

    /** The programs running in a host's network namespace (its PIDs are shared with this machine). */
    private static List<String> processesIn(TestHost host) throws Exception {
        Process ip = new ProcessBuilder("ip", "netns", "pids", host.name()).start();
        String pids = new String(ip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
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
}
