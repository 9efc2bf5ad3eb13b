package io.flotilla.sql.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.sql.protocol.MysqlServer;
import io.flotilla.sql.protocol.ServerTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wire protocol with real clients (MySQL Connector/J, MariaDB Connector/J, the {@code mariadb}
 * and {@code mariadb-admin} command lines) against the front-end over {@link TestingClusterSql},
 * whose tables are in-memory stand-ins, not a real cluster's.
 */
class MysqlClientsTest {
    private static final int PORT = 13011;
    private static final String ROOT_PASSWORD = "r00t-Secret";
    private static final String READ_ONLY_PASSWORD = "read-0nly";

    private static TestingClusterSql clusters;
    private static MysqlServer server;

    @TempDir
    static Path tlsDir;

    @BeforeAll
    static void startServer() {
        clusters = new TestingClusterSql();
        server = MysqlServer.start(
                new InetSocketAddress("127.0.0.1", PORT),
                new ClusterFrontend(
                        clusters, List.of(Account.root(ROOT_PASSWORD), Account.readOnly(READ_ONLY_PASSWORD))),
                ServerTls.loadOrGenerate(tlsDir, "flotilla-test"));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static Connection mysql(String database, String user, String password, String options) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:mysql://127.0.0.1:%d/%s?sslMode=REQUIRED%s".formatted(PORT, database, options), user, password);
    }

    private static Connection mariadb(String database, String user, String password, String options)
            throws SQLException {
        return DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:%d/%s?sslMode=trust%s".formatted(PORT, database, options), user, password);
    }

    private static void assertSqlError(ThrowingCallable call, int code, String sqlState, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getErrorCode()).as(e.toString()).isEqualTo(code);
            assertThat(e.getSQLState()).as(e.toString()).isEqualTo(sqlState);
            assertThat(e.getMessage()).endsWith(message);
        });
    }

    @Test
    void mysqlConnectorJAuthenticatesWithCachingSha2AndReadsTypedRowsWithNulls() throws Exception {
        try (Connection connection = mysql(
                        "playground",
                        "root",
                        ROOT_PASSWORD,
                        "&defaultAuthenticationPlugin=caching_sha2_password"
                                + "&disabledAuthenticationPlugins=mysql_native_password");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT INSTANCE, STATUS_ADDRESS, START_TIME, SERVER_ID FROM CLUSTER_INFO ORDER BY INSTANCE")) {
            ResultSetMetaData meta = rows.getMetaData();
            assertThat(List.of(meta.getColumnType(1), meta.getColumnType(3), meta.getColumnType(4)))
                    .containsExactly(Types.VARCHAR, Types.TIMESTAMP, Types.BIGINT);
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("127.0.0.1:3306");
            assertThat(rows.getTimestamp(3)).isEqualTo(Timestamp.valueOf(LocalDateTime.of(2026, 11, 22, 1, 2, 3)));
            assertThat(rows.getLong(4)).isEqualTo(1);
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(2)).isNull();
            assertThat(rows.next()).isTrue();
            assertThat(rows.getObject(3)).isNull();
            assertThat(rows.getObject(4)).isNull();
            assertThat(rows.next()).isFalse();
            assertThat(warnings(statement.getWarnings()))
                    .containsExactly("1105 mariadb 127.0.0.1:3308 did not answer: connection refused");
        }
    }

    @Test
    void mariadbConnectorJReadsDoublesAndSeesWarningsOfSetConfig() throws Exception {
        try (Connection connection = mariadb("playground", "root", ROOT_PASSWORD, "");
                Statement statement = connection.createStatement()) {
            try (ResultSet rows =
                    statement.executeQuery("SELECT `VALUE` FROM CLUSTER_LOAD WHERE NAME = 'load1' ORDER BY INSTANCE")) {
                assertThat(rows.getMetaData().getColumnType(1)).isEqualTo(Types.DOUBLE);
                assertThat(rows.next()).isTrue();
                assertThat(rows.getDouble(1)).isEqualTo(0.25);
                assertThat(rows.next()).isTrue();
                assertThat(rows.getObject(1)).isNull();
            }
            assertThat(statement.executeUpdate("SET CONFIG mariadb `max_connections` = 500"))
                    .isEqualTo(2);
            assertThat(warnings(statement.getWarnings()))
                    .containsExactly("1105 mariadb 127.0.0.1:3308 did not answer: connection refused");
            try (ResultSet shown = statement.executeQuery("SHOW WARNINGS")) {
                assertThat(shown.next()).isTrue();
                assertThat(List.of(shown.getString(1), shown.getInt(2), shown.getString(3)))
                        .containsExactly("Warning", 1105, "mariadb 127.0.0.1:3308 did not answer: connection refused");
            }
        }
        assertThat(clusters.changes).contains("playground mariadb max_connections=500 by root@127.0.0.1");
    }

    @Test
    void aWrongPasswordIsAccessDeniedForBothDrivers() {
        String denied = "Access denied for user 'root'@'127.0.0.1' (using password: YES)";
        assertSqlError(() -> mysql("playground", "root", "wrong", "").close(), 1045, "28000", denied);
        assertSqlError(() -> mariadb("playground", "root", "wrong", "").close(), 1045, "28000", denied);
        assertSqlError(
                () -> mysql("playground", "nobody", ROOT_PASSWORD, "").close(),
                1045,
                "28000",
                "Access denied for user 'nobody'@'127.0.0.1' (using password: YES)");
        assertSqlError(
                () -> mariadb("playground", "root", "", "").close(),
                1045,
                "28000",
                "Access denied for user 'root'@'127.0.0.1' (using password: NO)");
    }

    @Test
    void unknownDatabasesAreRefusedAtConnectAndByUse() throws Exception {
        assertSqlError(
                () -> mysql("nowhere", "root", ROOT_PASSWORD, "").close(), 1049, "42000", "Unknown database 'nowhere'");
        try (Connection connection = mariadb("", "root", ROOT_PASSWORD, "")) {
            assertSqlError(
                    () -> connection.createStatement().execute("USE nowhere"),
                    1049,
                    "42000",
                    "Unknown database 'nowhere'");
            assertSqlError(() -> connection.setCatalog("nowhere"), 1049, "42000", "Unknown database 'nowhere'");
            connection.setCatalog("staging");
            assertThat(connection.getCatalog()).isEqualTo("staging");
        }
    }

    @Test
    void errorsCarryMysqlCodesAndSqlStates() throws Exception {
        try (Connection connection = mysql("playground", "root", ROOT_PASSWORD, "");
                Statement statement = connection.createStatement()) {
            assertThatThrownBy(() -> statement.executeQuery("SELECT FROM WHERE"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getErrorCode()).isEqualTo(1064);
                        assertThat(e.getSQLState()).isEqualTo("42000");
                    });
            assertSqlError(
                    () -> statement.executeQuery("SELECT * FROM CLUSTER_NOPE"),
                    1146,
                    "42S02",
                    "Table 'playground.CLUSTER_NOPE' doesn't exist");
            // The connection is still usable after errors.
            try (ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM CLUSTER_CONFIG")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getInt(1)).isEqualTo(3);
            }
        }
    }

    @Test
    void theReadOnlyAccountReadsButIsRefusedSetConfig() throws Exception {
        try (Connection connection = mariadb("playground", "flotilla_ro", READ_ONLY_PASSWORD, "");
                Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery("SHOW CONFIG LIKE 'log.%'")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString("Value")).isEqualTo("warn");
            }
            assertSqlError(
                    () -> statement.executeUpdate("SET CONFIG '127.0.0.1:3306' log.level = 'info'"),
                    1227,
                    "42000",
                    "Access denied; you need (at least one of) the CONFIG privilege(s) for this operation"
                            + " (user 'flotilla_ro' is read-only; connect as root)");
        }
        assertThat(clusters.changes).noneMatch(change -> change.contains("log.level=info"));
    }

    @Test
    void serverPreparedStatementsAreRefusedWithNotSupportedYet() throws Exception {
        try (Connection connection =
                mysql("playground", "root", ROOT_PASSWORD, "&useServerPrepStmts=true&emulateUnsupportedPstmts=false")) {
            assertSqlError(
                    () -> {
                        var prepared = connection.prepareStatement("SELECT * FROM CLUSTER_INFO WHERE TYPE = ?");
                        prepared.setString(1, "mariadb");
                        prepared.executeQuery();
                    },
                    1235,
                    "42000",
                    "This version of Flotilla doesn't yet support 'prepared statements'; use the text protocol"
                            + " (MySQL Connector/J: useServerPrepStmts=false, the default)");
        }
        // Client-side prepared statements (the drivers' default) are plain text queries and work;
        // MariaDB Connector/J falls back to them when the server refuses to prepare.
        try (Connection connection = mariadb("playground", "root", ROOT_PASSWORD, "&useServerPrepStmts=true");
                var prepared = connection.prepareStatement("SELECT COUNT(*) FROM CLUSTER_INFO WHERE TYPE = ?")) {
            prepared.setString(1, "mariadb");
            try (ResultSet rows = prepared.executeQuery()) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getInt(1)).isEqualTo(2);
            }
        }
    }

    @Test
    void theMariadbCommandLinePrintsRowsWarningsAndErrors() throws Exception {
        Result select = mariadbCli(
                ROOT_PASSWORD,
                "-D",
                "playground",
                "-e",
                "SELECT TYPE, INSTANCE, STATUS_ADDRESS FROM CLUSTER_INFO ORDER BY INSTANCE; SHOW WARNINGS");
        assertThat(select.exitCode()).isZero();
        assertThat(select.stdout()).isEqualTo("""
                        TYPE\tINSTANCE\tSTATUS_ADDRESS
                        mariadb\t127.0.0.1:3306\t127.0.0.1:9104
                        mariadb\t127.0.0.1:3307\tNULL
                        haproxy\t127.0.0.1:4000\tNULL
                        Level\tCode\tMessage
                        Warning\t1105\tmariadb 127.0.0.1:3308 did not answer: connection refused
                        """);
        Result setConfig =
                mariadbCli(ROOT_PASSWORD, "-vvv", "-D", "playground", "-e", "SET CONFIG mariadb max_connections = 600");
        assertThat(setConfig.stdout()).contains("Query OK, 2 rows affected, 1 warning");
        Result denied = mariadbCli("not-it", "-e", "SELECT 1");
        assertThat(denied.exitCode()).isEqualTo(1);
        assertThat(denied.stderr())
                .isEqualTo("ERROR 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: YES)\n");
        Result unknown = mariadbCli(ROOT_PASSWORD, "-D", "nowhere", "-e", "SELECT 1");
        assertThat(unknown.stderr()).isEqualTo("ERROR 1049 (42000): Unknown database 'nowhere'\n");
    }

    @Test
    void mariadbConnectorJVerifiesCertificatesByDefaultSoTheSelfSignedOneNeedsSslModeTrust() {
        // MariaDB Connector/J 4 accepts a self-signed certificate without a CA only through a
        // MitM-proof authentication plugin (ed25519, parsec), which this server does not offer yet.
        assertThatThrownBy(() -> DriverManager.getConnection(
                                "jdbc:mariadb://127.0.0.1:%d/playground".formatted(PORT), "root", ROOT_PASSWORD)
                        .close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("Self signed certificates. Either set sslMode=trust");
    }

    @Test
    void mariadbConnectorJVerifiesTheCertificateItIsGiven() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tlsDir.resolve("key.pem"))))
                .isEqualTo("rw-------");
        try (Connection connection = DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:%d/playground?sslMode=verify-ca&serverSslCert=%s"
                        .formatted(PORT, tlsDir.resolve("cert.pem")),
                "root",
                ROOT_PASSWORD)) {
            assertThat(connection.isValid(5)).isTrue();
        }
    }

    @Test
    void clientsWithoutTlsStillConnect() throws Exception {
        try (Connection mysql = DriverManager.getConnection(
                        "jdbc:mysql://127.0.0.1:%d/playground?sslMode=DISABLED".formatted(PORT),
                        "root",
                        ROOT_PASSWORD);
                Connection mariadb = DriverManager.getConnection(
                        "jdbc:mariadb://127.0.0.1:%d/playground?sslMode=disable".formatted(PORT),
                        "flotilla_ro",
                        READ_ONLY_PASSWORD)) {
            assertThat(mysql.isValid(5)).isTrue();
            assertThat(mariadb.isValid(5)).isTrue();
        }
        Result plain = mariadbCli(ROOT_PASSWORD, "--skip-ssl", "-e", "SELECT VERSION()");
        assertThat(plain.stdout()).isEqualTo("VERSION()\n8.0.36-flotilla\n");
    }

    @Test
    void mariadbAdminPingIsAnsweredWithComPing() throws Exception {
        ProcessBuilder ping = new ProcessBuilder(
                "mariadb-admin", "--protocol=TCP", "-h127.0.0.1", "-P" + PORT, "-uroot", "--skip-ssl", "ping");
        ping.environment().put("MYSQL_PWD", ROOT_PASSWORD);
        Result result = run(ping);
        assertThat(result.stdout()).isEqualTo("mysqld is alive\n");
        assertThat(result.exitCode()).isZero();
    }

    private record Result(int exitCode, String stdout, String stderr) {}

    /** The password goes through MYSQL_PWD, never the command line. */
    private static Result mariadbCli(String password, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(
                List.of("mariadb", "--protocol=TCP", "-h127.0.0.1", "-P" + PORT, "-uroot", "--ssl", "--batch"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("MYSQL_PWD", password);
        return run(builder);
    }

    private static Result run(ProcessBuilder builder) throws IOException, InterruptedException {
        Process process = builder.start();
        process.getOutputStream().close();
        var stdout = process.getInputStream();
        var stderr = process.getErrorStream();
        var err = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                err.complete(new String(stderr.readAllBytes(), UTF_8));
            } catch (IOException e) {
                err.completeExceptionally(e);
            }
        });
        String out = new String(stdout.readAllBytes(), UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), out, err.join());
    }

    private static List<String> warnings(SQLWarning warning) {
        List<String> all = new ArrayList<>();
        for (SQLWarning each = warning; each != null; each = each.getNextWarning()) {
            all.add(each.getErrorCode() + " " + each.getMessage());
        }
        return all;
    }
}
