package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.engine.FlotillaHome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
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
 * A real local cluster (a MariaDB primary, two replicas, HAProxy, Prometheus and the exporters)
 * driven through the real command line, including {@code kill -9} of the CLI mid-operation.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterTest {
    private static final String NAME = "lc";

    @TempDir
    static Path root;

    private static Path home;
    private static Path topology;
    private static Cli cli;

    @BeforeAll
    static void writeTopology() throws Exception {
        home = root.resolve("home");
        topology = root.resolve("topology.yaml");
        Files.writeString(topology, """
                global:
                  user: "%s"
                  deploy_dir: "%s/deploy"
                  data_dir: "%s/data"
                  listen_host: 127.0.0.1
                monitored:
                  node_exporter_port: 19100
                  blackbox_exporter_port: 19115
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                mariadb_servers:
                  - host: 127.0.0.1
                    port: 13306
                    role: primary
                  - host: 127.0.0.1
                    port: 13307
                    role: replica
                  - host: 127.0.0.1
                    port: 13308
                    role: replica
                haproxy_servers:
                  - host: 127.0.0.1
                    port: 14000
                    read_port: 14001
                    stats_port: 18404
                monitoring_servers:
                  - host: 127.0.0.1
                    port: 19090
                    ng_port: 22020
                """.formatted(System.getProperty("user.name"), root, root));
        cli = new Cli(home);
    }

    @AfterAll
    static void destroy() throws Exception {
        if (Files.exists(home.resolve("clusters").resolve(NAME))) {
            cli.run("cluster", "destroy", NAME, "--yes");
        }
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    @Order(1)
    void aDeployKilledWithSigkillFinishesWhenRunAgain() throws Exception {
        Path journal = home.resolve("clusters").resolve(NAME).resolve("journal").resolve("current.jsonl");
        Process first =
                cli.start(root.resolve("deploy-1.log"), "cluster", "deploy", NAME, topology.toString(), "--yes");
        assertEventually(
                Duration.ofSeconds(60),
                () -> assertThat(journal)
                        .content()
                        .contains("\"event\":\"started\",\"time\"")
                        .contains("\"step\":\"deploy/instance/127.0.0.1:1330"));
        first.destroyForcibly();
        assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(journal)).doesNotContain("\"event\":\"end\"");

        Cli.Result again = cli.run("cluster", "deploy", NAME, topology.toString(), "--yes");

        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.err()).contains("Resuming operation ").contains("done in an earlier run");
        assertThat(again.out()).contains("Cluster 'lc' deployed. Start it with: flotilla cluster start lc");
        assertThat(Files.readString(journal)).contains("\"event\":\"resume\"").contains("\"result\":\"ok\"");
        assertThat(findFiles(root, "bootstrap.sql"))
                .as("bootstrap secrets are removed")
                .isEmpty();
        Path replicationPassword = root.resolve("deploy/flotilla-agent-lc/secrets/replication-password");
        assertThat(Files.getPosixFilePermissions(replicationPassword))
                .as("the agent's copy of the replication password, for its replication verbs")
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(replicationPassword))
                .isEqualTo(new FlotillaHome(home).cluster(NAME).secrets().replicationPassword());
    }

    @Test
    @Order(2)
    void aSecondCommandIsRefusedAndAKilledStartFinishesWhenRunAgain() throws Exception {
        Path lock = home.resolve("clusters").resolve(NAME).resolve("lock");
        Path journal = home.resolve("clusters").resolve(NAME).resolve("journal").resolve("current.jsonl");
        Process start = cli.start(root.resolve("start-1.log"), "cluster", "start", NAME);
        assertEventually(
                Duration.ofSeconds(30), () -> assertThat(lock).content().contains("flotilla cluster start lc"));

        Cli.Result refused = cli.run("cluster", "stop", NAME);

        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .startsWith("Error: cluster 'lc' is busy: pid %d is running `flotilla cluster start lc` since "
                        .formatted(start.pid()))
                .contains("wait for it to finish or stop that process");

        assertEventually(
                Duration.ofSeconds(90),
                () -> assertThat(journal)
                        .content()
                        .contains("\"event\":\"done\",\"time\"")
                        .contains("\"step\":\"start/ready/127.0.0.1:13306\""));
        start.destroyForcibly();
        assertThat(start.waitFor(10, TimeUnit.SECONDS)).isTrue();

        Cli.Result again = cli.run("cluster", "start", NAME);

        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.err()).contains("Resuming operation ");
        assertThat(again.out()).contains("mysql        127.0.0.1:14000");
        assertThat(processesOf("mariadbd")).as("one mariadbd per instance").hasSize(3);
        assertThat(processesOf("haproxy"))
                .as("haproxy master and worker")
                .hasSizeLessThanOrEqualTo(2)
                .isNotEmpty();
    }

    @Test
    @Order(3)
    void aRowWrittenThroughTheGatewayIsReadFromAReplica() throws Exception {
        String password = cli.run("cluster", "password", NAME).out().strip();
        assertThat(password).hasSize(24);
        try (Connection primary = connect(14000, password);
                Statement statement = primary.createStatement()) {
            statement.execute("CREATE DATABASE IF NOT EXISTS shop");
            statement.execute("CREATE TABLE IF NOT EXISTS shop.orders (id INT PRIMARY KEY, item VARCHAR(20))");
            statement.execute("REPLACE INTO shop.orders VALUES (1, 'anchor')");
        }
        assertEventually(Duration.ofSeconds(20), () -> {
            try (Connection read = connect(14001, password);
                    Statement statement = read.createStatement();
                    ResultSet rows =
                            statement.executeQuery("SELECT item, @@read_only, @@port FROM shop.orders WHERE id = 1")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("anchor");
                assertThat(rows.getInt(2)).as("reads go to a read-only replica").isEqualTo(1);
                assertThat(rows.getInt(3)).isIn(13307, 13308);
            }
        });
        for (int port : List.of(13307, 13308)) {
            assertEventually(
                    Duration.ofSeconds(20),
                    () -> assertThat(mariadbClient(port, password, "SELECT item FROM shop.orders WHERE id = 1"))
                            .isEqualTo("anchor"));
        }
        assertThat(mariadbClient(
                        13307,
                        password,
                        "SELECT COUNT(*) FROM information_schema.processlist WHERE COMMAND = 'Slave_IO'"))
                .isEqualTo("1");
    }

    @Test
    @Order(4)
    void displayShowsEveryInstanceUpAsJson() throws Exception {
        Cli.Result display = cli.run("cluster", "display", NAME, "--format", "json");
        assertThat(display.exitCode()).as(display.all()).isZero();
        JsonNode json = Output.JSON.readTree(display.out());
        assertThat(json.path("name").asString()).isEqualTo(NAME);
        assertThat(json.path("endpoints").path("mysql").asString()).isEqualTo("127.0.0.1:14000");
        assertThat(json.path("endpoints").path("mysql_read").asString()).isEqualTo("127.0.0.1:14001");
        assertThat(json.path("endpoints").path("prometheus").asString()).isEqualTo("127.0.0.1:19090");
        List<String> statuses = json.path("instances")
                .valueStream()
                .map(each ->
                        each.path("id").asString() + " " + each.path("status").asString())
                .toList();
        assertThat(statuses)
                .containsExactlyInAnyOrder(
                        "127.0.0.1:13306 Up",
                        "127.0.0.1:13307 Up",
                        "127.0.0.1:13308 Up",
                        "127.0.0.1:14000 Up",
                        "127.0.0.1:19090 Up",
                        "127.0.0.1:19100 Up",
                        "127.0.0.1:19115 Up");
        JsonNode primary = json.path("instances").get(0);
        assertThat(primary.path("role").asString()).isEqualTo("mariadb-primary");
        assertThat(primary.path("data_dir").asString()).isEqualTo(root + "/data/mariadb-13306");
    }

    @Test
    @Order(5)
    void restartOfOneReplicaKeepsItReplicating() throws Exception {
        Cli.Result restart = cli.run("cluster", "restart", NAME, "-N", "127.0.0.1:13308");
        assertThat(restart.exitCode()).as(restart.all()).isZero();
        assertThat(restart.err())
                .contains("stop mariadb 127.0.0.1:13308")
                .doesNotContain("stop mariadb 127.0.0.1:13306");
        String password = cli.run("cluster", "password", NAME).out().strip();
        assertThat(mariadbClient(13308, password, "SELECT item FROM shop.orders WHERE id = 1"))
                .isEqualTo("anchor");

        Cli.Result unknown = cli.run("cluster", "stop", NAME, "-N", "127.0.0.1:1");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).startsWith("Error: node '127.0.0.1:1' is not in the cluster; its nodes are ");
    }

    @Test
    @Order(6)
    void aReplicaWhoseReplicationStoppedLeavesTheReadPool() throws Exception {
        String password = cli.run("cluster", "password", NAME).out().strip();
        try (Connection replica = connect(13308, password);
                Statement statement = replica.createStatement()) {
            statement.execute("STOP SLAVE");
        }
        assertEventually(
                Duration.ofSeconds(20), () -> assertThat(readPorts(password)).containsOnly(13307));
        try (Connection replica = connect(13308, password);
                Statement statement = replica.createStatement()) {
            statement.execute("START SLAVE");
        }
        assertEventually(
                Duration.ofSeconds(20), () -> assertThat(readPorts(password)).contains(13307, 13308));
    }

    /** The replicas that answer reads through the gateway, over a few new connections. */
    private static java.util.Set<Integer> readPorts(String password) throws Exception {
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        for (int i = 0; i < 6; i++) {
            try (Connection read = connect(14001, password);
                    Statement statement = read.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT @@port")) {
                rows.next();
                ports.add(rows.getInt(1));
            }
        }
        return ports;
    }

    @Test
    @Order(7)
    void theAuditLogHasEveryOperationWithItsSteps() {
        Cli.Result audit = cli.run("cluster", "audit");
        assertThat(audit.exitCode()).isZero();
        assertThat(audit.out())
                .contains("flotilla cluster deploy lc")
                .contains("flotilla cluster start lc")
                .contains("interrupted")
                .contains("ok");
        String id = audit.out()
                .lines()
                .filter(line -> line.contains("flotilla cluster restart lc"))
                .findFirst()
                .orElseThrow()
                .split("\\s+")[0];
        Cli.Result one = cli.run("cluster", "audit", id);
        assertThat(one.out()).contains("Result:  ok").contains("done     restart/stop/127.0.0.1:13308");
    }

    @Test
    @Order(8)
    void destroyLeavesNoProcessAndNoFile() throws Exception {
        Cli.Result destroy = cli.run("cluster", "destroy", NAME, "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
        assertThat(destroy.out()).contains("Cluster 'lc' destroyed.");
        assertEventually(
                Duration.ofSeconds(10),
                () -> assertThat(ProcessHandle.allProcesses()
                                .map(process -> process.info().commandLine().orElse(""))
                                .filter(command -> command.contains(root.toString())))
                        .isEmpty());
        assertThat(root.resolve("deploy")).doesNotExist();
        assertThat(root.resolve("data")).doesNotExist();
        assertThat(home.resolve("clusters").resolve(NAME)).doesNotExist();
        assertThat(cli.run("cluster", "list").out()).doesNotContain(NAME + " ");
    }

    private static List<ProcessHandle> processesOf(String program) {
        return ProcessHandle.allProcesses()
                .filter(process -> process.info().command().orElse("").endsWith("/" + program))
                .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                .toList();
    }

    private static List<Path> findFiles(Path dir, String name) throws Exception {
        try (var walk = Files.walk(dir)) {
            return walk.filter(path -> path.getFileName().toString().equals(name))
                    .toList();
        }
    }

    static Connection connect(int port, String password) throws Exception {
        return connect("127.0.0.1", port, password);
    }

    static Connection connect(String host, int port, String password) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("user", "root");
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "5000");
        properties.setProperty("sslMode", "disable");
        return DriverManager.getConnection("jdbc:mariadb://%s:%d/".formatted(host, port), properties);
    }

    /** Runs the real `mariadb` client; the password goes through the environment, never the command line. */
    static String mariadbClient(int port, String password, String sql) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(
                        "mariadb",
                        "-h",
                        "127.0.0.1",
                        "-P",
                        String.valueOf(port),
                        "-u",
                        "root",
                        "--batch",
                        "--skip-column-names",
                        "-e",
                        sql)
                .redirectErrorStream(true);
        builder.environment().put("MYSQL_PWD", password);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
