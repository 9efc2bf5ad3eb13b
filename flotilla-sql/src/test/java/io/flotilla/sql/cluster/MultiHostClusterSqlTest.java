package io.flotilla.sql.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.catalog.Catalog;
import io.flotilla.engine.Engine;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.ProgressListener;
import io.flotilla.operations.ClusterManager;
import io.flotilla.operations.SshLogin;
import io.flotilla.plan.Selection;
import io.flotilla.sql.Warning;
import io.flotilla.sql.Warnings;
import io.flotilla.sql.protocol.MysqlServer;
import io.flotilla.sql.protocol.ServerTls;
import io.flotilla.sql.session.Account;
import io.flotilla.sql.session.ClusterFrontend;
import io.flotilla.sql.session.SingleCluster;
import io.flotilla.step.OperationName;
import io.flotilla.testing.TestHost;
import io.flotilla.testing.TestHosts;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.calcite.jdbc.CalciteConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real hosts (network namespaces with their own sshd), a MariaDB primary on one and a replica
 * on the other, deployed over SSH: a host whose cable is cut becomes a warning while the other
 * still answers, and a filter that leaves it out does not even ask it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostClusterSqlTest {
    private static final String NAME = "mh";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static ClusterManager clusters;
    private static AgentClusterSql sql;
    private static Warnings warnings;
    private static Connection calcite;
    private static TestHost first;
    private static TestHost second;

    @BeforeAll
    static void deploy() throws Exception {
        hosts = TestHosts.create("fsd", 2);
        first = hosts.hosts().get(0);
        second = hosts.hosts().get(1);
        Path topology = root.resolve("topology.yaml");
        String yaml = """
                global:
                  user: root
                  deploy_dir: /srv/flotilla/deploy
                  data_dir: /srv/flotilla/data
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                mariadb_servers:
                  - { host: %s, role: primary }
                  - { host: %s, role: replica }
                """.formatted(first.address(), second.address());
        Files.writeString(topology, yaml);
        clusters = new ClusterManager(
                new FlotillaHome(root.resolve("home")),
                Catalog.standard(),
                new Engine(8, ProgressListener.SILENT),
                (operation, done, steps) -> {});
        SshLogin ssh = new SshLogin(
                "root",
                first.sshPort(),
                Optional.of(hosts.clientKey().toString()),
                Optional.empty(),
                hosts.knownHosts().toString(),
                false);
        clusters.deploy(NAME, topology, yaml, "test deploy", ClusterManager.DEFAULT_AGENT_PORT, ssh);
        clusters.run(NAME, OperationName.START, Selection.ALL, "test start");
        sql = new AgentClusterSql(clusters, Duration.ofSeconds(2));
        warnings = new Warnings();
        Properties properties = new Properties();
        properties.setProperty("lex", "MYSQL");
        properties.setProperty("conformance", "MYSQL_5");
        properties.setProperty("fun", "mysql");
        properties.setProperty("timeZone", "UTC");
        calcite = DriverManager.getConnection("jdbc:calcite:", properties);
        calcite.unwrap(CalciteConnection.class)
                .getRootSchema()
                .add("information_schema", sql.informationSchema(NAME, warnings));
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (calcite != null) {
            calcite.close();
        }
        if (hosts != null) {
            hosts.close();
        }
    }

    @Test
    @Order(1)
    void bothHostsAnswer() throws Exception {
        assertThat(
                        instances(
                                "SELECT INSTANCE FROM information_schema.cluster_load WHERE NAME = 'load1' AND TYPE = 'mariadb'"))
                .containsExactlyInAnyOrder(first.address() + ":3306", second.address() + ":3306");
        assertThat(instances("SELECT INSTANCE FROM information_schema.cluster_replication"))
                .containsExactly(second.address() + ":3306");
        assertThat(warnings.list()).isEmpty();
    }

    @Test
    @Order(2)
    void aHostCutOffIsAWarningAndTheOtherStillAnswers() throws Exception {
        second.cutLink();
        try {
            long started = System.nanoTime();
            List<String> rows =
                    instances("SELECT INSTANCE FROM information_schema.cluster_info WHERE TYPE = 'mariadb'");
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(rows).containsExactly(first.address() + ":3306");
            assertThat(warnings.list())
                    .extracting(Warning::message)
                    .singleElement()
                    .asString()
                    .startsWith("instance %1$s:3306 at host %1$s did not answer in 2000 ms: agent %1$s:9760 "
                            .formatted(second.address()));
            assertThat(took).as("bounded by the per-node timeout").isLessThan(Duration.ofSeconds(6));

            warnings.clear();
            long before = sql.agentCalls();
            assertThat(instances(
                            "SELECT INSTANCE FROM information_schema.cluster_config WHERE INSTANCE = '%s:3306' AND `KEY` = 'port'"
                                    .formatted(first.address())))
                    .containsExactly(first.address() + ":3306");
            assertThat(sql.agentCalls() - before).isEqualTo(1);
            assertThat(warnings.list()).as("the cut host is not asked").isEmpty();

            Warnings set = new Warnings();
            assertThat(sql.setConfig(NAME, "mariadb", "max_connections", "222", "tester", set))
                    .isEqualTo(1);
            assertThat(set.list())
                    .extracting(Warning::message)
                    .singleElement()
                    .asString()
                    .startsWith(
                            "instance %1$s:3306 at host %1$s did not answer in 2000 ms: ".formatted(second.address()))
                    .endsWith("; it is unchanged");
            assertThat(instances(
                            "SELECT `VALUE` AS INSTANCE FROM information_schema.cluster_config WHERE INSTANCE = '%s:3306' AND `KEY` = 'max_connections'"
                                    .formatted(first.address())))
                    .containsExactly("222");
        } finally {
            second.restoreLink();
        }
    }

    @Test
    @Order(3)
    void aStoppedAgentIsAWarningOverTheWireAndTheOtherHostsRowsComeBack() throws Exception {
        String password = "stopped-agent-test-password";
        long agent = agentPid(second);
        try (MysqlServer server = MysqlServer.start(
                        new InetSocketAddress("127.0.0.1", 19406),
                        new ClusterFrontend(new SingleCluster(sql, NAME), List.of(Account.root(password))),
                        ServerTls.loadOrGenerate(root.resolve("sql-tls"), "flotilla-test"));
                Connection connection = DriverManager.getConnection(
                        "jdbc:mysql://127.0.0.1:%d/%s".formatted(server.port(), NAME), "root", password);
                Statement statement = connection.createStatement()) {
            signal("STOP", agent);
            try {
                List<String> rows = new ArrayList<>();
                try (ResultSet result = statement.executeQuery("SELECT TYPE, INSTANCE FROM CLUSTER_INFO")) {
                    while (result.next()) {
                        rows.add(result.getString(1) + " " + result.getString(2));
                    }
                }
                List<String> messages = new ArrayList<>();
                try (ResultSet result = statement.executeQuery("SHOW WARNINGS")) {
                    while (result.next()) {
                        assertThat(result.getString("Level")).isEqualTo("Warning");
                        messages.add(result.getString("Message"));
                    }
                }
                // The first host's instances answer; each of the second host's is a warning naming it.
                assertThat(rows)
                        .containsExactlyInAnyOrder(
                                "mariadb %s:3306".formatted(first.address()),
                                "node_exporter %s:9100".formatted(first.address()),
                                "blackbox_exporter %s:9115".formatted(first.address()));
                assertThat(messages)
                        .hasSize(3)
                        .allSatisfy(message -> assertThat(message)
                                .startsWith("instance %s:".formatted(second.address()))
                                .contains(" at host %s did not answer in 2000 ms".formatted(second.address())))
                        .anySatisfy(message ->
                                assertThat(message).startsWith("instance %s:3306 ".formatted(second.address())));
            } finally {
                signal("CONT", agent);
            }
            try (ResultSet result = statement.executeQuery("SELECT COUNT(*) FROM CLUSTER_INFO")) {
                assertThat(result.next()).isTrue();
                assertThat(result.getInt(1)).isEqualTo(6);
            }
            try (ResultSet result = statement.executeQuery("SHOW WARNINGS")) {
                assertThat(result.next()).isFalse();
            }
        }
    }

    /** The pid of the Flotilla agent in the host's network namespace (`ip netns pids`). */
    private static long agentPid(TestHost host) throws Exception {
        Process pids = new ProcessBuilder("ip", "netns", "pids", host.name()).start();
        String output = new String(pids.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(pids.waitFor()).isZero();
        return output.lines()
                .map(Long::parseLong)
                .map(ProcessHandle::of)
                .flatMap(Optional::stream)
                .filter(process -> process.info().commandLine().orElse("").contains("flotilla-agent"))
                .map(ProcessHandle::pid)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no agent runs on " + host));
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).start();
        assertThat(kill.waitFor()).isZero();
    }

    private static List<String> instances(String query) throws SQLException {
        warnings.clear();
        List<String> rows = new ArrayList<>();
        try (Statement statement = calcite.createStatement();
                ResultSet result = statement.executeQuery(query)) {
            while (result.next()) {
                rows.add(result.getString("INSTANCE"));
            }
        }
        return rows;
    }
}
