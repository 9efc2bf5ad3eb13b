package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.SqlAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real MariaDB server in a temporary directory, run by {@code mariadbd} from the Debian package,
 * with root over its socket and a user {@code flotilla} whose password is in a 0600 file.
 */
final class TestingMariaDb implements AutoCloseable {
    static final String USER = "flotilla";

    private final Path dir;
    private final int port;
    private final int serverId;
    private volatile Process process;

    private TestingMariaDb(Path dir, int port, int serverId) {
        this.dir = dir;
        this.port = port;
        this.serverId = serverId;
    }

    /** Runs {@code mariadb-install-db} into {@code dataDir}; copy it to start several servers quickly. */
    static void installDataDir(Path dataDir) throws IOException, InterruptedException {
        Files.createDirectories(dataDir);
        run(List.of(
                "mariadb-install-db",
                "--no-defaults",
                "--datadir=" + dataDir,
                "--user=" + System.getProperty("user.name"),
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve"));
    }

    /** Starts a server on a copy of {@code template} with binary logging and {@code serverId}. */
    static TestingMariaDb start(Path template, Path dir, int serverId) throws IOException, InterruptedException {
        return start(template, dir, serverId, List.of());
    }

    /** Starts a server as {@link #start(Path, Path, int)} does, with {@code options} added to its command line. */
    static TestingMariaDb start(Path template, Path dir, int serverId, List<String> options)
            throws IOException, InterruptedException {
        copy(template, dir.resolve("data"));
        TestingMariaDb server = new TestingMariaDb(dir, freePort(), serverId);
        try {
            server.launch(options);
            byte[] random = new byte[12];
            new SecureRandom().nextBytes(random);
            String password = HexFormat.of().formatHex(random);
            Files.writeString(server.passwordFile(), password + "\n");
            Files.setPosixFilePermissions(server.passwordFile(), PosixFilePermissions.fromString("rw-------"));
            server.sql(
                    "CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; GRANT REPLICATION SLAVE, SLAVE MONITOR ON *.* TO '%s'@'127.0.0.1'"
                            .formatted(USER, password, USER));
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    /** Starts the server again on its data and port, after {@link #kill}, with {@code options} added. */
    void restart(List<String> options) throws IOException {
        launch(options);
    }

    private void launch(List<String> options) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                "/usr/sbin/mariadbd",
                "--no-defaults",
                "--datadir=" + dir.resolve("data"),
                "--socket=" + dir.resolve("mysqld.sock"),
                "--pid-file=" + dir.resolve("mysqld.pid"),
                "--port=" + port,
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--user=" + System.getProperty("user.name"),
                "--server-id=" + serverId,
                "--log-bin=mysql-bin",
                "--innodb-buffer-pool-size=16M",
                "--innodb-log-file-size=8M",
                "--innodb-use-native-aio=0",
                "--log-error=" + dir.resolve("error.log")));
        command.addAll(options);
        Process started = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("stdout.log").toFile()))
                .start();
        process = started;
        assertEventually(Duration.ofSeconds(30), () -> {
            assertThat(started.isAlive())
                    .as("mariadbd runs; see %s", dir.resolve("error.log"))
                    .isTrue();
            sql("SELECT 1");
        });
    }

    /** The server's process id. */
    long pid() {
        return process.pid();
    }

    /** Kills the server with SIGKILL and waits until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    int port() {
        return port;
    }

    /**
     * The spec an agent supervises this server by, probed by its port, administered as {@code user}
     * with the password in {@code passwordFile}, its settings in {@code optionFile}.
     */
    InstanceSpec spec(String id, Path workDir, String user, Path passwordFile, String optionFile, String slowLog) {
        return new InstanceSpec(
                id,
                "mariadb",
                List.of("/usr/sbin/mariadbd"),
                Map.of(),
                workDir.toString(),
                id.replace(':', '-') + ".log",
                new Probe.PortOpen("127.0.0.1", port),
                5,
                List.of(port),
                List.of(),
                "mariadb-server",
                List.of(),
                new SqlAdmin("127.0.0.1", port, user, passwordFile.toString(), optionFile, "mariadbd", slowLog));
    }

    /** JDBC connection properties of a client of the test servers: no TLS, short timeouts. */
    static Properties client(String user, String password) {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("sslMode", "disable");
        properties.setProperty("socketTimeout", "5000");
        properties.setProperty("connectTimeout", "5000");
        return properties;
    }

    Path passwordFile() {
        return dir.resolve("flotilla.password");
    }

    /** Runs SQL as root over the server's socket with the {@code mariadb} command line client. */
    String sql(String statements) throws IOException, InterruptedException {
        return run(List.of(
                "mariadb",
                "--no-defaults",
                "--socket=" + dir.resolve("mysqld.sock"),
                "--user=root",
                "--batch",
                "--skip-column-names",
                "--execute=" + statements));
    }

    @Override
    public void close() {
        Process current = process;
        if (current == null) {
            return;
        }
        current.destroy();
        try {
            if (!current.waitFor(20, TimeUnit.SECONDS)) {
                current.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            current.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("%s failed: %s".formatted(command.getFirst(), output));
        }
        return output;
    }

    private static void copy(Path from, Path to) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(from)) {
            paths = new ArrayList<>(walk.toList());
        }
        for (Path path : paths) {
            Path target = to.resolve(from.relativize(path).toString());
            try {
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
