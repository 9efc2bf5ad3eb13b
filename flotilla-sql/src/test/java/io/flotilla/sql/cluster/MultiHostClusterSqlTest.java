package io.flotilla.sql.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.catalog.Catalog;
import io.flotilla.engine.ClusterManager;
import io.flotilla.engine.Engine;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.ProgressListener;
import io.flotilla.engine.SshAccess;
import io.flotilla.plan.Selection;
import io.flotilla.sql.Warning;
import io.flotilla.sql.Warnings;
import io.flotilla.testing.TestHost;
import io.flotilla.testing.TestHosts;
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
        SshAccess ssh = new SshAccess(
                "root",
                first.sshPort(),
                hosts.clientKey().toString(),
                hosts.knownHosts().toString(),
                false);
        clusters.deploy(NAME, topology, yaml, "test deploy", ClusterManager.DEFAULT_AGENT_PORT, ssh);
        clusters.run(NAME, "start", Selection.ALL, "test start");
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
