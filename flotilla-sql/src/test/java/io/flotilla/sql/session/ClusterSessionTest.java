package io.flotilla.sql.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.sql.SqlError;
import io.flotilla.sql.protocol.Column;
import io.flotilla.sql.protocol.ColumnType;
import io.flotilla.sql.protocol.MysqlServer;
import io.flotilla.sql.protocol.StatementResult;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** The front-end without the wire: what each statement answers, over the in-memory {@link TestingClusterSql}. */
class ClusterSessionTest {
    private final TestingClusterSql clusters = new TestingClusterSql();
    private final ClusterFrontend frontend =
            new ClusterFrontend(clusters, List.of(Account.root("root-secret"), Account.readOnly("ro-secret")));

    private ClusterSession root(String database) {
        return frontend.open("root", "127.0.0.1", database);
    }

    private static List<List<String>> rows(StatementResult result) {
        assertThat(result).isInstanceOf(StatementResult.Rows.class);
        return ((StatementResult.Rows) result).rows();
    }

    private static List<Column> columns(StatementResult result) {
        return ((StatementResult.Rows) result).columns();
    }

    private static void assertError(ThrowingCallable statement, int code, String sqlState, String message) {
        assertThatThrownBy(statement)
                .isInstanceOfSatisfying(SqlError.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.sqlState()).isEqualTo(sqlState);
                })
                .hasMessage(message);
    }

    @Test
    void driverProbesAreAnsweredWithoutCalcite() {
        ClusterSession session = root("playground");
        StatementResult probe = session.execute(
                "/* mysql-connector-j */SELECT  @@session.auto_increment_increment AS auto_increment_increment,"
                        + " @@character_set_client AS character_set_client, @@max_allowed_packet,"
                        + " @@sql_mode AS sql_mode");
        assertThat(columns(probe))
                .containsExactly(
                        Column.bigint("auto_increment_increment"),
                        Column.varchar("character_set_client"),
                        Column.bigint("@@max_allowed_packet"),
                        Column.varchar("sql_mode"));
        assertThat(rows(probe).getFirst().subList(0, 3)).containsExactly("1", "utf8mb4", "67108864");
        assertThat(rows(session.execute("select @@version_comment limit 1")))
                .containsExactly(List.of("Flotilla cluster SQL"));
        assertThat(rows(session.execute("SELECT DATABASE(), USER(), VERSION(), CURRENT_USER()")))
                .containsExactly(List.of("playground", "root@127.0.0.1", MysqlServer.SERVER_VERSION, "root@%"));
        assertThat(session.execute("SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, autocommit=1"))
                .isEqualTo(new StatementResult.Ok(0));
        assertThat(rows(session.execute("SELECT @@collation_connection, @@autocommit")))
                .containsExactly(List.of("utf8mb4_unicode_ci", "1"));
        assertThat(rows(session.execute("SHOW VARIABLES LIKE 'max_allowed%'")))
                .containsExactly(List.of("max_allowed_packet", "67108864"));
        assertThat(rows(session.execute("SHOW VARIABLES WHERE Variable_name = 'version_comment'")))
                .containsExactly(List.of("version_comment", "Flotilla cluster SQL"));
        assertError(
                () -> session.execute("SELECT @@no_such_thing"),
                1193,
                "HY000",
                "Unknown system variable 'no_such_thing'");
    }

    @Test
    void anEndpointServingOneClusterStartsInItWhenTheClientNamesNoDatabase() {
        ClusterSession session = new ClusterFrontend(
                        new SingleCluster(clusters, "staging"), List.of(Account.root("root-secret")))
                .open("root", "127.0.0.1", null);
        assertThat(rows(session.execute("SELECT DATABASE()"))).containsExactly(List.of("staging"));
        assertThat(rows(session.execute("SELECT COUNT(*) FROM CLUSTER_INFO"))).containsExactly(List.of("3"));
    }

    @Test
    void selectWithoutADatabaseStillAnswersExpressionsButNotClusterTables() {
        ClusterSession session = root(null);
        assertThat(rows(session.execute("SELECT DATABASE()"))).containsExactly(Arrays.asList((String) null));
        assertThat(rows(session.execute("SELECT 1 + 1 AS two"))).containsExactly(List.of("2"));
        assertError(
                () -> session.execute("SHOW TABLES"),
                1046,
                "3D000",
                "No database selected: USE a cluster first (SHOW DATABASES lists them)");
        assertThat(rows(session.execute("SELECT COUNT(*) FROM staging.CLUSTER_INFO")))
                .containsExactly(List.of("3"));
        assertError(
                () -> session.execute("SELECT * FROM CLUSTER_INFO"),
                1146,
                "42S02",
                "Table 'CLUSTER_INFO' doesn't exist (no database selected: USE a cluster first; SHOW DATABASES lists them)");
    }

    @Test
    void aClusterIsADatabaseWhoseTablesAreAlsoItsInformationSchema() {
        ClusterSession session = root(null);
        assertThat(rows(session.execute("SHOW DATABASES")))
                .containsExactly(List.of("information_schema"), List.of("playground"), List.of("staging"));
        assertError(() -> session.execute("USE nowhere"), 1049, "42000", "Unknown database 'nowhere'");
        session.execute("USE `staging`");
        assertThat(rows(session.execute("SHOW TABLES")))
                .containsExactly(List.of("CLUSTER_CONFIG"), List.of("CLUSTER_INFO"), List.of("CLUSTER_LOAD"));
        assertThat(columns(session.execute("SHOW TABLES"))).containsExactly(Column.varchar("Tables_in_staging"));
        String haproxy = "SELECT INSTANCE FROM %s WHERE TYPE = 'haproxy'";
        assertThat(rows(session.execute(haproxy.formatted("cluster_info")))).containsExactly(List.of("127.0.0.1:5000"));
        assertThat(rows(session.execute(haproxy.formatted("information_schema.CLUSTER_INFO"))))
                .containsExactly(List.of("127.0.0.1:5000"));
        assertThat(rows(session.execute(haproxy.formatted("staging.CLUSTER_INFO"))))
                .containsExactly(List.of("127.0.0.1:5000"));
        session.execute("use information_schema");
        assertThat(rows(session.execute(haproxy.formatted("CLUSTER_INFO")))).containsExactly(List.of("127.0.0.1:5000"));
        assertThat(rows(session.execute("SELECT DATABASE()"))).containsExactly(List.of("information_schema"));
    }

    @Test
    void resultsCarryTypesAndNulls() {
        ClusterSession session = root("playground");
        StatementResult info = session.execute(
                "SELECT INSTANCE, STATUS_ADDRESS, START_TIME, SERVER_ID FROM CLUSTER_INFO ORDER BY INSTANCE");
        assertThat(columns(info))
                .extracting(Column::type)
                .containsExactly(ColumnType.VARCHAR, ColumnType.VARCHAR, ColumnType.DATETIME, ColumnType.BIGINT);
        assertThat(rows(info))
                .containsExactly(
                        List.of("127.0.0.1:3306", "127.0.0.1:9104", "2026-11-22 01:02:03", "1"),
                        Arrays.asList("127.0.0.1:3307", null, "2026-11-22 01:02:03", "2"),
                        Arrays.asList("127.0.0.1:4000", null, null, null));
        StatementResult load = session.execute("SELECT NAME, `VALUE` FROM CLUSTER_LOAD ORDER BY INSTANCE, NAME");
        assertThat(columns(load)).extracting(Column::type).containsExactly(ColumnType.VARCHAR, ColumnType.DOUBLE);
        assertThat(rows(load))
                .containsExactly(
                        List.of("load1", "0.25"), List.of("total", "8000000000"), Arrays.asList("load1", null));
    }

    @Test
    void warningsOfAStatementAreKeptForShowWarningsAndClearedByTheNext() {
        ClusterSession session = root("playground");
        session.execute("SELECT COUNT(*) FROM CLUSTER_INFO");
        assertThat(session.warningCount()).isEqualTo(1);
        assertThat(rows(session.execute("SELECT @@warning_count"))).containsExactly(List.of("1"));
        assertThat(rows(session.execute("SHOW COUNT(*) WARNINGS"))).containsExactly(List.of("1"));
        assertThat(rows(session.execute("SHOW WARNINGS")))
                .containsExactly(
                        List.of("Warning", "1105", "mariadb 127.0.0.1:3308 did not answer: connection refused"));
        session.execute("SELECT 1");
        assertThat(session.warningCount()).isZero();
        assertThat(rows(session.execute("SHOW WARNINGS"))).isEmpty();
    }

    @Test
    void showConfigIsASelectOverClusterConfig() {
        ClusterSession session = root("playground");
        StatementResult all = session.execute("SHOW CONFIG");
        assertThat(columns(all)).extracting(Column::name).containsExactly("Type", "Instance", "Name", "Value");
        assertThat(rows(all)).hasSize(3);
        assertThat(rows(session.execute("SHOW CONFIG LIKE 'log.%'")))
                .containsExactly(List.of("mariadb", "127.0.0.1:3306", "log.level", "warn"));
        assertThat(rows(session.execute("show config where instance = '127.0.0.1:3307' and name like 'max%'")))
                .containsExactly(List.of("mariadb", "127.0.0.1:3307", "max_connections", "151"));
    }

    @Test
    void setConfigTakesATypeOrAnInstanceAndAKeyAndAValueInEveryQuoting() {
        ClusterSession session = root("playground");
        assertThat(session.execute("SET CONFIG mariadb `max_connections` = 500"))
                .isEqualTo(new StatementResult.Ok(2));
        assertThat(session.warningCount()).isEqualTo(1);
        assertThat(session.execute("set config '127.0.0.1:3306' log.level = 'warn'"))
                .isEqualTo(new StatementResult.Ok(1));
        assertThat(session.warningCount()).isZero();
        session.execute("SET CONFIG \"127.0.0.1:3306\" `log.slow-threshold` = \"it''s 2.5 s\"");
        assertThat(clusters.changes)
                .containsExactly(
                        "playground mariadb max_connections=500 by root@127.0.0.1",
                        "playground 127.0.0.1:3306 log.level=warn by root@127.0.0.1",
                        "playground 127.0.0.1:3306 log.slow-threshold=it''s 2.5 s by root@127.0.0.1");
        assertError(
                () -> session.execute("SET CONFIG mariadb = 3"),
                1064,
                "42000",
                "You have an error in your SQL syntax near 'SET CONFIG mariadb = 3': write SET CONFIG <type | 'host:port'>"
                        + " <key> = <value>, for example SET CONFIG mariadb max_connections = 500");
        assertError(
                () -> session.execute("SET GLOBAL max_connections = 3"),
                1235,
                "42000",
                "SET GLOBAL is not how Flotilla changes a cluster: use SET CONFIG <type | 'host:port'> <key> = <value>");
    }

    @Test
    void theReadOnlyAccountReadsEverythingButMayNotSetConfig() {
        ClusterSession session = frontend.open("flotilla_ro", "127.0.0.1", "playground");
        assertThat(rows(session.execute("SELECT COUNT(*) FROM CLUSTER_CONFIG"))).containsExactly(List.of("3"));
        assertError(
                () -> session.execute("SET CONFIG mariadb max_connections = 500"),
                1227,
                "42000",
                "Access denied; you need (at least one of) the CONFIG privilege(s) for this operation"
                        + " (user 'flotilla_ro' is read-only; connect as root)");
        assertThat(clusters.changes).isEmpty();
    }

    @Test
    void badStatementsAreParseErrorsAndWritesAreRefused() {
        ClusterSession session = root("playground");
        assertThatThrownBy(() -> session.execute("SELECT FROM WHERE"))
                .isInstanceOfSatisfying(
                        SqlError.class, e -> assertThat(e.code()).isEqualTo(1064))
                .hasMessageStartingWith("You have an error in your SQL syntax: ");
        assertError(
                () -> session.execute("FLUSH TABLES"),
                1064,
                "42000",
                "You have an error in your SQL syntax: Flotilla does not know the statement near 'FLUSH TABLES'");
        assertError(
                () -> session.execute("DELETE FROM CLUSTER_INFO"),
                1235,
                "42000",
                "the cluster tables are read-only; change settings with SET CONFIG <type | 'host:port'> <key> = <value>");
        assertError(
                () -> session.execute("SELECT nope FROM CLUSTER_INFO"),
                1054,
                "42S22",
                "Unknown column 'nope' in 'field list'");
        assertError(
                () -> session.execute("SELECT * FROM CLUSTER_NOPE"),
                1146,
                "42S02",
                "Table 'playground.CLUSTER_NOPE' doesn't exist");
    }
}
