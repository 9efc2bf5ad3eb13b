package io.flotilla.sql.session;

import static io.flotilla.testing.Eventually.assertEventually;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.sql.protocol.MysqlServer;
import io.flotilla.sql.protocol.ServerSettings;
import io.flotilla.sql.protocol.ServerTls;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The limits of the SQL endpoint against real sockets and real drivers (MariaDB Connector/J, MySQL
 * Connector/J, the {@code mariadb} command line), each on a server of its own on an ephemeral port
 * with small timeouts; the tables behind it are {@link TestingClusterSql}'s in-memory ones.
 */
class EndpointLimitsTest {
    private static final String PASSWORD = "l1mits-Secret";
    private static final ServerTls TLS = ServerTls.generate("flotilla-test");

    private final List<AutoCloseable> opened = new ArrayList<>();
    private MysqlServer server;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable each : opened.reversed()) {
            each.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private MysqlServer start(ServerSettings settings) {
        server = MysqlServer.start(
                new InetSocketAddress("127.0.0.1", 0),
                new ClusterFrontend(new TestingClusterSql(), List.of(Account.root(PASSWORD))),
                TLS,
                settings);
        return server;
    }

    private String url(String driver, String options) {
        return "jdbc:%s://127.0.0.1:%d/playground?%s".formatted(driver, server.port(), options);
    }

    /** A raw client that has read the server's greeting (or its refusal) and says nothing. */
    private Socket silentClient() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        opened.add(socket);
        socket.setSoTimeout(10_000);
        readPacket(socket.getInputStream());
        return socket;
    }

    private static byte[] readPacket(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] header = new byte[4];
        data.readFully(header);
        int length = (header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16;
        byte[] payload = new byte[length];
        data.readFully(payload);
        return payload;
    }

    /** Reads until the server closes; how long that took. */
    private static Duration untilClosed(Socket socket) throws IOException {
        long started = System.nanoTime();
        try {
            while (socket.getInputStream().read() >= 0) {
                // what the server sends before it closes is not this check's concern
            }
        } catch (SocketException reset) {
            // a reset is a close too
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    private static void assertSqlError(ThrowingCallable call, int code, String sqlState, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getErrorCode()).as(e.toString()).isEqualTo(code);
            assertThat(e.getSQLState()).as(e.toString()).isEqualTo(sqlState);
            assertThat(e.getMessage()).as(e.toString()).endsWith(message);
        });
    }

    @Test
    void aClientSilentAfterTheGreetingIsClosedAfterConnectTimeout() throws Exception {
        start(ServerSettings.defaults(false).withConnectTimeout(Duration.ofMillis(500)));
        Socket silent = silentClient();
        assertThat(server.connections()).isEqualTo(1);
        Duration closedAfter = untilClosed(silent);
        assertThat(closedAfter).isBetween(Duration.ofMillis(300), Duration.ofSeconds(5));
        assertEventually(
                Duration.ofSeconds(5), () -> assertThat(server.connections()).isZero());
    }

    @Test
    void anIdleSessionIsToldAndClosedAfterWaitTimeoutAndTheSessionVariablesSayTheLimits() throws Exception {
        start(ServerSettings.defaults(false)
                .withWaitTimeout(Duration.ofSeconds(1))
                .withConnectTimeout(Duration.ofSeconds(7))
                .withMaxConnections(20));
        Connection connection = DriverManager.getConnection(url("mariadb", "sslMode=disable"), "root", PASSWORD);
        opened.add(connection);
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT @@wait_timeout, @@connect_timeout, @@max_connections, @@require_secure_transport")) {
            assertThat(rows.next()).isTrue();
            assertThat(List.of(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)))
                    .containsExactly("1", "7", "20", "OFF");
        }
        // Busy is not idle: commands one after the other, each within the timeout, keep it open.
        for (int i = 0; i < 4; i++) {
            Thread.sleep(400);
            assertThat(connection.isValid(2)).isTrue();
        }
        assertThat(server.connections()).isEqualTo(1);
        assertEventually(
                Duration.ofSeconds(5), () -> assertThat(server.connections()).isZero());
        assertThatThrownBy(() -> connection.createStatement().executeQuery("SELECT 1"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("The client was disconnected by the server because of inactivity.");
    }

    @Test
    void theConnectionPastMaxConnectionsGets1040AndCountsFromAccept() throws Exception {
        start(ServerSettings.defaults(false));
        // 151 clients that never log in hold every slot: MySQL's default max_connections.
        for (int i = 0; i < ServerSettings.DEFAULT_MAX_CONNECTIONS; i++) {
            silentClient();
        }
        // Sent before the greeting, the error has no SQLSTATE (as MySQL's): each client shows its own.
        assertSqlError(
                () -> DriverManager.getConnection(url("mariadb", "sslMode=disable"), "root", PASSWORD)
                        .close(),
                1040,
                "HY000",
                "Too many connections");
        assertSqlError(
                () -> DriverManager.getConnection(url("mysql", "sslMode=DISABLED"), "root", PASSWORD)
                        .close(),
                1040,
                "08004",
                "message from server: \"Too many connections\"");
        Result cli = mariadbCli("--skip-ssl", "-e", "SELECT 1");
        assertThat(cli.stderr()).isEqualTo("ERROR 1040 (HY000): Too many connections\n");
        assertThat(cli.exitCode()).isEqualTo(1);

        opened.removeFirst().close();
        assertEventually(Duration.ofSeconds(5), () -> {
            try (Connection connection =
                    DriverManager.getConnection(url("mariadb", "sslMode=disable"), "root", PASSWORD)) {
                assertThat(connection.isValid(2)).isTrue();
            }
        });
    }

    @Test
    void afterThreeFailedLoginsFromAnAddressItsNextAttemptsAreAnsweredLateWithoutHoldingAThread() throws Exception {
        Duration step = Duration.ofMillis(700);
        start(ServerSettings.defaults(false)
                .withLoginDelay(new ServerSettings.LoginDelay(3, step, step.multipliedBy(2))));
        String denied = "Access denied for user 'root'@'127.0.0.1' (using password: YES)";
        login(PASSWORD); // loads the driver, so that timings below are the server's
        for (int i = 0; i < 3; i++) {
            Duration took = timed(() -> assertSqlError(() -> login("wrong"), 1045, "28000", denied));
            assertThat(took).as("failure %d", i + 1).isLessThan(step);
        }
        // The 4th is answered after one step, right password or not: this one is wrong.
        assertThat(timed(() -> assertSqlError(() -> login("wrong"), 1045, "28000", denied)))
                .isGreaterThanOrEqualTo(step);
        // The 5th after two steps, the maximum; 8 at once all wait it on the event loop's timers,
        // not one after the other on its two threads.
        List<CompletableFuture<Duration>> parallel = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) {
                parallel.add(CompletableFuture.supplyAsync(
                        () -> timed(() -> assertSqlError(() -> login("wrong"), 1045, "28000", denied)), clients));
            }
        }
        for (CompletableFuture<Duration> each : parallel) {
            assertThat(each.get(30, TimeUnit.SECONDS)).isBetween(step.multipliedBy(2), step.multipliedBy(5));
        }
        // Even the right password waits; once in, the address starts afresh.
        assertThat(timed(() -> login(PASSWORD))).isGreaterThanOrEqualTo(step.multipliedBy(2));
        assertThat(timed(() -> login(PASSWORD))).isLessThan(step);
        assertThat(timed(() -> assertSqlError(() -> login("wrong"), 1045, "28000", denied)))
                .isLessThan(step);
    }

    private void login(String password) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url("mariadb", "sslMode=disable"), "root", password)) {
            assertThat(connection.isValid(2)).isTrue();
        }
    }

    private interface Attempt {
        void run() throws Exception;
    }

    private static Duration timed(Attempt attempt) {
        long started = System.nanoTime();
        try {
            attempt.run();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    @Test
    void withRequireSecureTransportAClearTextLoginGets3159AndATlsLoginWorks() throws Exception {
        start(ServerSettings.defaults(true));
        String refused = "Connections using insecure transport are prohibited while --require_secure_transport=ON.";
        assertSqlError(
                () -> DriverManager.getConnection(url("mariadb", "sslMode=disable"), "root", PASSWORD)
                        .close(),
                3159,
                "HY000",
                refused);
        assertSqlError(
                () -> DriverManager.getConnection(url("mysql", "sslMode=DISABLED"), "root", PASSWORD)
                        .close(),
                3159,
                "HY000",
                refused);
        Result plain = mariadbCli("--skip-ssl", "-e", "SELECT 1");
        assertThat(plain.stderr()).isEqualTo("ERROR 3159 (HY000): " + refused + "\n");

        try (Connection mariadb = DriverManager.getConnection(url("mariadb", "sslMode=trust"), "root", PASSWORD);
                Connection mysql = DriverManager.getConnection(url("mysql", "sslMode=REQUIRED"), "root", PASSWORD);
                ResultSet rows = mysql.createStatement().executeQuery("SELECT @@require_secure_transport")) {
            assertThat(mariadb.isValid(2)).isTrue();
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("ON");
        }
        Result tls = mariadbCli("--ssl", "-e", "SELECT @@have_ssl");
        assertThat(tls.stdout()).isEqualTo("@@have_ssl\nYES\n");
    }

    @Test
    void aClientThatAnnouncesA16MegabytePacketBeforeLoginIsRefusedAtTheHeader() throws Exception {
        start(ServerSettings.defaults(false));
        Socket client = silentClient();
        OutputStream out = client.getOutputStream();
        out.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1});
        out.write(new byte[100]);
        out.flush();
        byte[] error = readPacket(client.getInputStream());
        assertThat(error[0] & 0xFF).isEqualTo(0xFF);
        assertThat((error[1] & 0xFF) | (error[2] & 0xFF) << 8).isEqualTo(1153);
        assertThat(new String(error, 9, error.length - 9, UTF_8))
                .isEqualTo("a packet of 16777215 bytes was announced before login, more than the 16384 bytes a"
                        + " handshake may use");
        assertThat(untilClosed(client)).isLessThan(Duration.ofSeconds(5));
        assertEventually(
                Duration.ofSeconds(5), () -> assertThat(server.connections()).isZero());
    }

    private record Result(int exitCode, String stdout, String stderr) {}

    /** The password goes through MYSQL_PWD, never the command line. */
    private Result mariadbCli(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(
                List.of("mariadb", "--protocol=TCP", "-h127.0.0.1", "-P" + server.port(), "-uroot", "--batch"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("MYSQL_PWD", PASSWORD);
        Process process = builder.start();
        process.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getErrorStream().readAllBytes(), UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), out, err.join());
    }
}
