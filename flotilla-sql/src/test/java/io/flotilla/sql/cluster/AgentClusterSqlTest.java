package io.flotilla.sql.cluster;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.catalog.Catalog;
import io.flotilla.engine.AuditLog;
import io.flotilla.engine.Engine;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.ProgressListener;
import io.flotilla.operations.ClusterManager;
import io.flotilla.plan.Selection;
import io.flotilla.sql.SqlError;
import io.flotilla.sql.Warning;
import io.flotilla.sql.Warnings;
import io.flotilla.step.OperationName;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.calcite.jdbc.CalciteConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster tables and SET CONFIG against a real local cluster (a MariaDB primary, two replicas
 * and etcd, supervised by a real agent), queried through Calcite's JDBC driver as the MySQL
 * front-end does, and checked with MariaDB Connector/J on each instance.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentClusterSqlTest {
    private static final String NAME = "sq";
    private static final String PRIMARY = "127.0.0.1:14306";
    private static final String REPLICA_1 = "127.0.0.1:14307";
    private static final String REPLICA_2 = "127.0.0.1:14308";
    private static final String ETCD = "127.0.0.1:14379";
    private static final String NODE_EXPORTER = "127.0.0.1:14100";
    private static final String BLACKBOX_EXPORTER = "127.0.0.1:14115";
    private static final List<Integer> MARIADB_PORTS = List.of(14306, 14307, 14308);

    @TempDir
    static Path root;

    private static ClusterManager clusters;
    private static AgentClusterSql sql;
    private static Warnings warnings;
    private static Connection calcite;
    private static String rootPassword;

    @BeforeAll
    static void deploy() throws Exception {
        Path topology = root.resolve("topology.yaml");
        String yaml = """
                global:
                  user: "%s"
                  deploy_dir: "%s/deploy"
                  data_dir: "%s/data"
                  listen_host: 127.0.0.1
                monitored:
                  node_exporter_port: 14100
                  blackbox_exporter_port: 14115
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                    long_query_time: 0.5
                mariadb_servers:
                  - { host: 127.0.0.1, port: 14306, role: primary }
                  - { host: 127.0.0.1, port: 14307, role: replica }
                  - { host: 127.0.0.1, port: 14308, role: replica }
                etcd_servers:
                  - { host: 127.0.0.1, client_port: 14379, peer_port: 14380, name: e1 }
                """.formatted(System.getProperty("user.name"), root, root);
        Files.writeString(topology, yaml);
        clusters = new ClusterManager(
                new FlotillaHome(root.resolve("home")),
                Catalog.standard(),
                new Engine(8, ProgressListener.SILENT),
                (operation, done, steps) -> {});
        clusters.deploy(NAME, topology, yaml, "test deploy", 14760, null);
        clusters.run(NAME, OperationName.START, Selection.ALL, "test start");
        rootPassword = clusters.secrets(NAME).rootPassword();
        sql = new AgentClusterSql(clusters, Duration.ofSeconds(3));
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
    static void destroy() throws Exception {
        if (calcite != null) {
            calcite.close();
        }
        try {
            if (clusters != null && Files.exists(root.resolve("home/clusters").resolve(NAME))) {
                clusters.run(NAME, OperationName.DESTROY, Selection.ALL, "test destroy");
            }
        } finally {
            ProcessHandle.allProcesses()
                    .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                    .forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    @Order(1)
    void clusterInfoHasARowPerInstanceFromItsAgent() throws Exception {
        List<Map<String, Object>> rows = query(
                "SELECT TYPE, INSTANCE, STATUS_ADDRESS, VERSION, SERVER_ID, UPTIME FROM information_schema.cluster_info ORDER BY INSTANCE");

        assertThat(rows)
                .extracting(row -> row.get("INSTANCE"))
                .containsExactly(NODE_EXPORTER, BLACKBOX_EXPORTER, PRIMARY, REPLICA_1, REPLICA_2, ETCD);
        assertThat(rows)
                .extracting(row -> row.get("TYPE"))
                .containsExactly("node_exporter", "blackbox_exporter", "mariadb", "mariadb", "mariadb", "etcd");
        assertThat(rows).extracting(row -> row.get("SERVER_ID")).containsExactly(0L, 0L, 1L, 2L, 3L, 0L);
        assertThat(rows).allSatisfy(row -> assertThat(row.get("STATUS_ADDRESS")).isEqualTo("127.0.0.1:14760"));
        assertThat(rows.subList(2, 5))
                .allSatisfy(row -> assertThat((String) row.get("VERSION")).startsWith("10.11."));
        assertThat((String) rows.get(5).get("VERSION")).matches("3\\.\\d+\\.\\d+.*");
        assertThat(rows)
                .allSatisfy(row -> assertThat((String) row.get("UPTIME")).matches("\\d+h\\d\\dm\\d\\ds"));
        assertThat(warnings.list()).isEmpty();
    }

    @Test
    @Order(2)
    void typeAndInstanceFiltersAskOnlyTheMatchingAgents() throws Exception {
        assertThat(calls("SELECT * FROM information_schema.cluster_config WHERE INSTANCE = '127.0.0.1:14307'"))
                .isEqualTo(1);
        assertThat(calls("SELECT * FROM information_schema.cluster_config WHERE type = 'mariadb'"))
                .isEqualTo(3);
        assertThat(
                        calls(
                                "SELECT * FROM information_schema.cluster_config WHERE INSTANCE IN ('127.0.0.1:14306', '127.0.0.1:14379')"))
                .isEqualTo(2);
        assertThat(
                        calls(
                                "SELECT * FROM information_schema.cluster_config WHERE INSTANCE = '127.0.0.1:14306' OR INSTANCE = '127.0.0.1:14308'"))
                .isEqualTo(2);
        assertThat(calls("SELECT * FROM information_schema.cluster_config")).isEqualTo(6);

        long before = sql.agentCalls();
        List<Map<String, Object>> none =
                query("SELECT * FROM information_schema.cluster_config WHERE TYPE = 'mariadb' AND TYPE = 'etcd'");
        assertThat(none).isEmpty();
        assertThat(sql.agentCalls() - before)
                .as("contradictory filters ask nobody")
                .isZero();

        List<Map<String, Object>> maxConnections = query(
                "SELECT INSTANCE, `VALUE` FROM information_schema.cluster_config WHERE TYPE = 'mariadb' AND `KEY` = 'max_connections' ORDER BY INSTANCE");
        assertThat(maxConnections).extracting(row -> row.get("VALUE")).containsExactly("151", "151", "151");
        List<Map<String, Object>> etcdFlags = query(
                "SELECT `KEY`, `VALUE` FROM information_schema.cluster_config WHERE TYPE = 'etcd' AND `KEY` = 'name'");
        assertThat(etcdFlags).extracting(row -> row.get("VALUE")).containsExactly("e1");
    }

    @Test
    @Order(3)
    void hostTablesAnswerFromTheAgentsLastSampleOncePerHost() throws Exception {
        long before = sql.agentCalls();
        long started = System.nanoTime();
        List<Map<String, Object>> load = query(
                "SELECT INSTANCE, DEVICE_TYPE, DEVICE_NAME, NAME, `VALUE` FROM information_schema.cluster_load WHERE TYPE = 'mariadb'");
        long took = (System.nanoTime() - started) / 1_000_000;
        assertThat(sql.agentCalls() - before).as("one host, one call").isEqualTo(1);
        assertThat(took).as("answered from the last sample, in ms").isLessThan(1000);
        assertThat(load)
                .filteredOn(row -> row.get("NAME").equals("load1"))
                .extracting(row -> row.get("INSTANCE"))
                .containsExactlyInAnyOrder(PRIMARY, REPLICA_1, REPLICA_2);
        assertThat(load).anySatisfy(row -> {
            assertThat(row.get("DEVICE_TYPE")).isEqualTo("cpu");
            assertThat(row.get("NAME")).isEqualTo("usage");
        });
        assertThat(load).anySatisfy(row -> {
            assertThat(row.get("DEVICE_TYPE")).isEqualTo("net");
            assertThat(row.get("DEVICE_NAME")).isEqualTo("lo");
            assertThat(row.get("NAME")).isEqualTo("rx-bytes/s");
        });
        assertThat(load).anySatisfy(row -> assertThat(row.get("NAME")).isEqualTo("used"));

        List<Map<String, Object>> hardware = query(
                "SELECT DEVICE_TYPE, DEVICE_NAME, NAME, `VALUE` FROM information_schema.cluster_hardware WHERE INSTANCE = '127.0.0.1:14379'");
        assertThat(hardware).anySatisfy(row -> {
            assertThat(row.get("NAME")).isEqualTo("cpu-logical-cores");
            assertThat(Integer.parseInt((String) row.get("VALUE")))
                    .isEqualTo(Runtime.getRuntime().availableProcessors());
        });
        assertThat(hardware).anySatisfy(row -> {
            assertThat(row.get("DEVICE_TYPE")).isEqualTo("memory");
            assertThat(row.get("NAME")).isEqualTo("capacity");
        });
        assertThat(hardware).anySatisfy(row -> {
            assertThat(row.get("DEVICE_TYPE")).isEqualTo("disk");
            assertThat(row.get("DEVICE_NAME")).isEqualTo("/");
            assertThat(row.get("NAME")).isEqualTo("free");
        });
        assertThat(hardware).anySatisfy(row -> {
            assertThat(row.get("DEVICE_TYPE")).isEqualTo("net");
            assertThat(row.get("DEVICE_NAME")).isEqualTo("lo");
        });

        List<Map<String, Object>> system = query(
                "SELECT SYSTEM_TYPE, SYSTEM_NAME, NAME, `VALUE` FROM information_schema.cluster_systeminfo WHERE INSTANCE = '127.0.0.1:14306' AND NAME = 'vm.swappiness'");
        assertThat(system).hasSize(1);
        assertThat(system.getFirst().get("VALUE")).isEqualTo(procValue("vm/swappiness"));
        assertThat(
                        query(
                                "SELECT * FROM information_schema.cluster_systeminfo WHERE INSTANCE = '127.0.0.1:14306' AND SYSTEM_NAME = 'limits' AND NAME = 'max-open-files-soft'"))
                .hasSize(1);
    }

    @Test
    @Order(4)
    void clusterLogNeedsATimeRangeAndPushesItsFilters() throws Exception {
        assertThatThrownBy(() -> query("SELECT * FROM information_schema.cluster_log WHERE TYPE = 'mariadb'"))
                .rootCause()
                .isInstanceOf(SqlError.class)
                .hasMessage(
                        "CLUSTER_LOG needs a time range: add a condition on `TIME` to the WHERE clause, such as `TIME` > CURRENT_TIMESTAMP - INTERVAL '1' HOUR or `TIME` BETWEEN '2026-11-22 00:00:00' AND '2026-11-22 01:00:00'");

        long before = sql.agentCalls();
        List<Map<String, Object>> ready =
                query("SELECT `TIME`, TYPE, INSTANCE, LEVEL, MESSAGE FROM information_schema.cluster_log "
                        + "WHERE `TIME` > CURRENT_TIMESTAMP - INTERVAL '1' HOUR AND TYPE = 'mariadb' AND LEVEL = 'INFO' "
                        + "AND MESSAGE LIKE '%ready for connections%'");
        assertThat(sql.agentCalls() - before).isEqualTo(1);
        assertThat(ready).extracting(row -> row.get("INSTANCE")).contains(PRIMARY, REPLICA_1, REPLICA_2);
        assertThat(ready)
                .allSatisfy(row -> assertThat((String) row.get("MESSAGE")).contains("ready for connections"));
        List<java.sql.Timestamp> times =
                ready.stream().map(row -> (java.sql.Timestamp) row.get("TIME")).toList();
        assertThat(times).isSortedAccordingTo(java.util.Comparator.naturalOrder());

        assertThat(query("SELECT * FROM information_schema.cluster_log "
                        + "WHERE `TIME` BETWEEN '2001-01-01 00:00:00' AND '2001-01-02 00:00:00'"))
                .isEmpty();
        List<Map<String, Object>> etcd = query("SELECT LEVEL, MESSAGE FROM information_schema.cluster_log "
                + "WHERE `TIME` > CURRENT_TIMESTAMP - INTERVAL '1' HOUR AND INSTANCE = '127.0.0.1:14379'");
        assertThat(etcd).isNotEmpty();
        assertThat(etcd).extracting(row -> row.get("LEVEL")).contains("INFO");
    }

    @Test
    @Order(5)
    void sessionsSlowQueriesAndReplicationComeFromEachMariaDb() throws Exception {
        try (Connection primary = mariadb(14306);
                Statement statement = primary.createStatement()) {
            statement.execute("CREATE DATABASE IF NOT EXISTS shop");
            statement.execute("CREATE TABLE IF NOT EXISTS shop.items (id INT PRIMARY KEY)");
            statement.execute("INSERT INTO shop.items VALUES (1), (2)");
            statement.execute("SELECT SLEEP(0.6)");
        }
        List<Map<String, Object>> slow = query(
                "SELECT INSTANCE, `USER`, QUERY_TIME, QUERY FROM information_schema.cluster_slow_query WHERE QUERY LIKE '%SLEEP(0.6)%'");
        assertThat(slow).hasSize(1);
        assertThat(slow.getFirst().get("INSTANCE")).isEqualTo(PRIMARY);
        assertThat(slow.getFirst().get("USER")).isEqualTo("root");
        assertThat((Double) slow.getFirst().get("QUERY_TIME")).isGreaterThanOrEqualTo(0.6);

        List<Map<String, Object>> sessions =
                query("SELECT INSTANCE, `USER`, COMMAND, INFO FROM information_schema.cluster_processlist");
        assertThat(sessions)
                .filteredOn(row -> ((String) row.get("INFO")).contains("information_schema.PROCESSLIST"))
                .extracting(row -> row.get("INSTANCE"))
                .containsExactlyInAnyOrder(PRIMARY, REPLICA_1, REPLICA_2);
        assertThat(sessions)
                .filteredOn(row -> row.get("USER").equals("system user"))
                .extracting(row -> row.get("INSTANCE"))
                .contains(REPLICA_1, REPLICA_2);

        assertEventually(Duration.ofSeconds(10), () -> {
            List<Map<String, Object>> replication = query(
                    "SELECT INSTANCE, `PRIMARY`, IO_THREAD, SQL_THREAD, SECONDS_BEHIND, GTID_SLAVE_POS, GTID_CURRENT_POS FROM information_schema.cluster_replication ORDER BY INSTANCE");
            assertThat(replication).extracting(row -> row.get("INSTANCE")).containsExactly(REPLICA_1, REPLICA_2);
            assertThat(replication).allSatisfy(row -> {
                assertThat(row.get("PRIMARY")).isEqualTo(PRIMARY);
                assertThat(row.get("IO_THREAD")).isEqualTo("Yes");
                assertThat(row.get("SQL_THREAD")).isEqualTo("Yes");
                assertThat(row.get("SECONDS_BEHIND")).isEqualTo(0L);
                assertThat((String) row.get("GTID_SLAVE_POS")).startsWith("0-1-");
                assertThat(row.get("GTID_SLAVE_POS")).isEqualTo(row.get("GTID_CURRENT_POS"));
            });
        });
    }

    @Test
    @Order(6)
    void inspectionFindsASettingThatDiffersOnOneInstance() throws Exception {
        assertThat(query("SELECT NAME FROM information_schema.inspection_rules"))
                .extracting(row -> row.get("NAME"))
                .containsExactly("config", "version", "node-load", "replication", "critical-error");
        try (Connection replica = mariadb(14308);
                Statement statement = replica.createStatement()) {
            statement.execute("SET GLOBAL max_allowed_packet = 33554432");
        }
        List<Map<String, Object>> result = query(
                "SELECT RULE, ITEM, TYPE, INSTANCE, `VALUE`, REFERENCE, SEVERITY, DETAILS FROM information_schema.inspection_result WHERE RULE = 'config'");
        assertThat(result).hasSize(1);
        assertThat(result.getFirst())
                .containsEntry("ITEM", "max_allowed_packet")
                .containsEntry("TYPE", "mariadb")
                .containsEntry("INSTANCE", REPLICA_2)
                .containsEntry("VALUE", "33554432")
                .containsEntry("REFERENCE", "16777216")
                .containsEntry("SEVERITY", "warning");
        assertThat(query("SELECT * FROM information_schema.inspection_result WHERE RULE IN ('version', 'replication')"))
                .isEmpty();
    }

    @Test
    @Order(7)
    void setConfigChangesEveryMariaDbLiveAndAStaticOneAfterARollingReload() throws Exception {
        Warnings set = new Warnings();
        assertThat(sql.setConfig(NAME, "mariadb", "max_connections", "321", "tester", set))
                .isEqualTo(3);
        assertThat(set.list()).isEmpty();
        for (int port : MARIADB_PORTS) {
            assertThat(variable(port, "max_connections")).as("port %d", port).isEqualTo("321");
        }
        assertThat(
                        query(
                                "SELECT DISTINCT `VALUE` FROM information_schema.cluster_config WHERE `KEY` = 'max_connections'"))
                .extracting(row -> row.get("VALUE"))
                .containsExactly("321");

        Warnings restart = new Warnings();
        assertThat(sql.setConfig(NAME, "mariadb", "back_log", "77", "tester", restart))
                .isEqualTo(3);
        assertThat(restart.list())
                .extracting(Warning::message)
                .containsExactly(restartWarning(PRIMARY), restartWarning(REPLICA_1), restartWarning(REPLICA_2));
        assertThat(variable(14306, "back_log")).isNotEqualTo("77");

        io.flotilla.engine.Journal reload =
                clusters.run(NAME, OperationName.RELOAD, new Selection(Set.of("mariadb"), Set.of()), "test reload");

        String steps = Files.readString(reload.file());
        assertThat(List.of(
                                "reload/stop/" + REPLICA_1,
                                "start/ready/" + REPLICA_1,
                                "reload/stop/" + REPLICA_2,
                                "start/ready/" + REPLICA_2,
                                "reload/stop/" + PRIMARY,
                                "start/ready/" + PRIMARY)
                        .stream()
                        .map(step -> steps.indexOf("\"step\":\"%s\"".formatted(step)))
                        .toList())
                .as("one instance at a time, replicas before the primary")
                .doesNotContain(-1)
                .isSorted();

        for (int port : MARIADB_PORTS) {
            assertThat(variable(port, "max_connections")).as("port %d", port).isEqualTo("321");
            assertThat(variable(port, "back_log")).as("port %d", port).isEqualTo("77");
        }
        AuditLog audit = clusters.home().audit();
        assertThat(audit.entries())
                .filteredOn(entry -> entry.command().startsWith("SET CONFIG mariadb max_connections"))
                .extracting(AuditLog.Entry::command, AuditLog.Entry::result)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "SET CONFIG mariadb max_connections = '321' on 127.0.0.1:14306 by tester", "ok"),
                        org.assertj.core.groups.Tuple.tuple(
                                "SET CONFIG mariadb max_connections = '321' on 127.0.0.1:14307 by tester", "ok"),
                        org.assertj.core.groups.Tuple.tuple(
                                "SET CONFIG mariadb max_connections = '321' on 127.0.0.1:14308 by tester", "ok"));
    }

    private static String restartWarning(String instance) {
        return "back_log is not dynamic in mariadb %1$s: written to %2$s/deploy/mariadb-%3$s/conf/my.cnf, it takes effect when the instance restarts; apply it with `flotilla cluster reload sq -N %1$s`"
                .formatted(instance, root, instance.substring(instance.indexOf(':') + 1));
    }

    @Test
    @Order(8)
    void aRefusedValueIsAWarningWhileTheOthersChange() throws Exception {
        Warnings set = new Warnings();
        int changed = sql.setConfig(NAME, "mariadb", "slave_parallel_threads", "2", "tester", set);

        assertThat(changed).isEqualTo(1);
        assertThat(variable(14306, "slave_parallel_threads")).isEqualTo("2");
        assertThat(variable(14307, "slave_parallel_threads")).isEqualTo("0");
        assertThat(set.list())
                .extracting(Warning::message)
                .hasSize(2)
                .allSatisfy(
                        message -> assertThat(message)
                                .matches(
                                        "instance 127\\.0\\.0\\.1:1430[78] at host 127\\.0\\.0\\.1 is unchanged: mariadb 127\\.0\\.0\\.1:1430[78] refused slave_parallel_threads = 2: .*STOP SLAVE.*"));

        Warnings one = new Warnings();
        assertThat(sql.setConfig(NAME, "127.0.0.1:14308", "max_connections", "abc", "tester", one))
                .isZero();
        assertThat(one.list())
                .extracting(Warning::message)
                .singleElement()
                .asString()
                .startsWith(
                        "instance 127.0.0.1:14308 at host 127.0.0.1 is unchanged: mariadb 127.0.0.1:14308 refused max_connections = abc: ");

        assertThatThrownBy(() -> sql.setConfig(NAME, "tidb", "x", "1", "tester", new Warnings()))
                .isInstanceOf(SqlError.class)
                .hasMessage(
                        "SET CONFIG target 'tidb' is neither a component type nor an instance of cluster 'sq'; the types are mariadb, etcd, node_exporter, blackbox_exporter and the instances 127.0.0.1:14306, 127.0.0.1:14307, 127.0.0.1:14308, 127.0.0.1:14379, 127.0.0.1:14100, 127.0.0.1:14115");
    }

    @Test
    @Order(9)
    void aSettingThatGuardsTheServerIsRefusedAndNothingChanges() throws Exception {
        Path myCnf = root.resolve("deploy/mariadb-14307/conf/my.cnf");
        String before = Files.readString(myCnf);
        int audited = clusters.home().audit().entries().size();

        assertThatThrownBy(() -> sql.setConfig(NAME, "mariadb", "skip_grant_tables", "ON", "tester", new Warnings()))
                .isInstanceOfSatisfying(
                        SqlError.class,
                        error -> assertThat(error.code()).isEqualTo(SqlError.ER_SPECIFIC_ACCESS_DENIED_ERROR))
                .hasMessage("SET CONFIG does not change skip_grant_tables on mariadb: it turns authentication off for"
                        + " every client. Nothing was changed");
        assertThatThrownBy(() -> sql.setConfig(NAME, REPLICA_1, "Init-File", "/tmp/x.sql", "tester", new Warnings()))
                .hasMessageStartingWith(
                        "SET CONFIG does not change init_file on mariadb: it makes the server run code");
        assertThatThrownBy(
                        () -> sql.setConfig(NAME, "mariadb", "plugin_load_add", "auth_pam", "tester", new Warnings()))
                .hasMessageStartingWith("SET CONFIG does not change plugin_load_add on mariadb: it makes the server");
        assertThatThrownBy(() -> sql.setConfig(NAME, "mariadb", "innodb_force_recovery", "6", "tester", new Warnings()))
                .hasMessageStartingWith(
                        "SET CONFIG does not change innodb_force_recovery on mariadb: it is not one of the"
                                + " settings Flotilla changes on a running cluster");
        // A component without an allow-list changes nothing while it runs, whatever the setting.
        assertThatThrownBy(() -> sql.setConfig(NAME, "etcd", "quota-backend-bytes", "1", "tester", new Warnings()))
                .hasMessage("SET CONFIG does not change etcd while it runs; change it in the topology and run"
                        + " `flotilla cluster reload`. Nothing was changed");

        for (int port : MARIADB_PORTS) {
            assertThat(variable(port, "skip_grant_tables")).as("port %d", port).isEqualTo("0");
            assertThat(variable(port, "init_file")).as("port %d", port).isNull();
        }
        assertThat(Files.readString(myCnf)).isEqualTo(before);
        assertThat(clusters.home()
                        .audit()
                        .entries()
                        .subList(audited, clusters.home().audit().entries().size()))
                .extracting(AuditLog.Entry::command, AuditLog.Entry::result)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "SET CONFIG mariadb skip_grant_tables = 'ON' by tester", "failed"),
                        org.assertj.core.groups.Tuple.tuple(
                                "SET CONFIG 127.0.0.1:14307 Init-File = '/tmp/x.sql' by tester", "failed"),
                        org.assertj.core.groups.Tuple.tuple(
                                "SET CONFIG mariadb plugin_load_add = 'auth_pam' by tester", "failed"),
                        org.assertj.core.groups.Tuple.tuple(
                                "SET CONFIG mariadb innodb_force_recovery = '6' by tester", "failed"),
                        org.assertj.core.groups.Tuple.tuple(
                                "SET CONFIG etcd quota-backend-bytes = '1' by tester", "failed"));

        Set<String> settable =
                Catalog.standard().kind("mariadb").settings().orElseThrow().settable();
        Set<String> known = new java.util.HashSet<>();
        try (Connection connection = mariadb(14306);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT LOWER(VARIABLE_NAME) FROM information_schema.SYSTEM_VARIABLES")) {
            while (rows.next()) {
                known.add(rows.getString(1));
            }
        }
        assertThat(settable)
                .as("every setting the catalog lets change is a variable of this MariaDB")
                .isSubsetOf(known);
    }

    @Test
    @Order(10)
    void aStoppedAgentIsAWarningPerInstance() throws Exception {
        try (AgentClient agent = new AgentClient(
                URI.create("https://127.0.0.1:14760"),
                clusters.secrets(NAME).agentToken(),
                clusters.home().cluster(NAME).tls().context(),
                Duration.ofSeconds(5))) {
            agent.shutdown();
        }
        assertEventually(Duration.ofSeconds(10), () -> {
            warnings.clear();
            assertThat(query("SELECT * FROM information_schema.cluster_info WHERE TYPE = 'mariadb'"))
                    .isEmpty();
            assertThat(warnings.list())
                    .extracting(Warning::message)
                    .containsExactly(unreachable(PRIMARY), unreachable(REPLICA_1), unreachable(REPLICA_2));
        });
    }

    private static String unreachable(String instance) {
        return "instance %s at host 127.0.0.1 did not answer in 3000 ms: agent 127.0.0.1:14760 is not reachable: connection refused; start the agent on that host"
                .formatted(instance);
    }

    private static long calls(String query) throws SQLException {
        long before = sql.agentCalls();
        query(query);
        return sql.agentCalls() - before;
    }

    private static List<Map<String, Object>> query(String query) throws SQLException {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Statement statement = calcite.createStatement();
                ResultSet result = statement.executeQuery(query)) {
            ResultSetMetaData meta = result.getMetaData();
            while (result.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.put(meta.getColumnLabel(i), result.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private static Connection mariadb(int port) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "root");
        properties.setProperty("password", rootPassword);
        properties.setProperty("sslMode", "disable");
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:%d/".formatted(port), properties);
    }

    private static String variable(int port, String name) throws SQLException {
        try (Connection connection = mariadb(port);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT @@GLOBAL." + name)) {
            result.next();
            return result.getString(1);
        }
    }

    /**
     * A /proc/sys value as `cat` shows it. Read as a stream: these files report size 0 and a
     * numeric one answers only a read at offset 0, so {@code Files.readString} gives its first byte.
     */
    private static String procValue(String name) throws java.io.IOException {
        try (var in = Files.newInputStream(Path.of("/proc/sys", name))) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        }
    }
}
