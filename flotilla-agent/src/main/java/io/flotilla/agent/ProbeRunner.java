package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.ProbeResult;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.MalformedURLException;
import java.net.NoRouteToHostException;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URL;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Runs a {@link Probe} once. Every leaf attempt is bounded by the attempt timeout, and the result's
 * detail says what was seen ({@code "connection refused on 127.0.0.1:3306"}), ready or not.
 */
public final class ProbeRunner {
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = PosixFilePermissions.fromString("---rwxrwx");

    private static final int MAX_BODY_BYTES = 1 << 20;

    private final Duration attemptTimeout;

    public ProbeRunner() {
        this(Probe.ATTEMPT_TIMEOUT);
    }

    public ProbeRunner(Duration attemptTimeout) {
        this.attemptTimeout = requireNonNull(attemptTimeout, "attemptTimeout is null");
    }

    /** Evaluates {@code probe} now; an {@link Probe.AllOf} reports its first member that is not ready. */
    public ProbeResult run(Probe probe) {
        requireNonNull(probe, "probe is null");
        return switch (probe) {
            case Probe.PortOpen portOpen -> bounded(target(portOpen), () -> portOpen(portOpen));
            case Probe.HttpOk httpOk -> bounded(target(httpOk), () -> httpOk(httpOk));
            case Probe.SqlPing sqlPing -> bounded(target(sqlPing), () -> sqlPing(sqlPing));
            case Probe.ReplicaRunning replica -> bounded(target(replica), () -> replicaRunning(replica));
            case Probe.HaproxyBackendsUp haproxy -> bounded(target(haproxy), () -> haproxyBackendsUp(haproxy));
            case Probe.LogLine logLine -> bounded(target(logLine), () -> logLine(logLine));
            case Probe.AllOf allOf -> allOf(allOf);
        };
    }

    private ProbeResult allOf(Probe.AllOf allOf) {
        List<String> details = new ArrayList<>();
        for (Probe probe : allOf.probes()) {
            ProbeResult result = run(probe);
            if (!result.ready()) {
                return result;
            }
            details.add(result.detail());
        }
        return details.isEmpty()
                ? ProbeResult.ready("nothing to check")
                : ProbeResult.ready(String.join("; ", details));
    }

    // Each probe also sets its own I/O timeouts so that it usually ends with a precise detail; this
    // bound holds even for I/O that has no timeout of its own (a Unix socket, a slow file).
    private ProbeResult bounded(String target, Callable<ProbeResult> attempt) {
        FutureTask<ProbeResult> task = new FutureTask<>(attempt);
        Thread thread = Thread.ofVirtual().name("probe " + target).start(task);
        try {
            return task.get(attemptTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            thread.interrupt();
            return ProbeResult.notReady("no answer from %s within %s".formatted(target, seconds(attemptTimeout)));
        } catch (ExecutionException e) {
            return ProbeResult.notReady("%s failed: %s".formatted(target, e.getCause()));
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
            return ProbeResult.notReady("probe of %s was interrupted".formatted(target));
        }
    }

    private ProbeResult portOpen(Probe.PortOpen probe) {
        String address = hostPort(probe.host(), probe.port());
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(probe.host(), probe.port()), timeoutMillis());
            return ProbeResult.ready("%s accepts TCP connections".formatted(address));
        } catch (IOException e) {
            return ProbeResult.notReady(connectFailure(address, e));
        }
    }

    // HttpURLConnection rather than java.net.http.HttpClient: the latter sets up the TLS stack and a
    // selector thread even for plain HTTP, about 12 MB of the agent's resident memory.
    private ProbeResult httpOk(Probe.HttpOk probe) {
        URL url;
        try {
            URI uri = URI.create(probe.url());
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                return ProbeResult.notReady("invalid URL %s: not http or https".formatted(probe.url()));
            }
            url = uri.toURL();
        } catch (IllegalArgumentException | MalformedURLException e) {
            return ProbeResult.notReady("invalid URL %s: %s".formatted(probe.url(), e.getMessage()));
        }
        HttpURLConnection connection = null;
        try {
            // A probe talks to its own host; a proxy configured for the agent must not come between.
            connection = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
            connection.setConnectTimeout(timeoutMillis());
            connection.setReadTimeout(timeoutMillis());
            connection.setInstanceFollowRedirects(false);
            connection.setUseCaches(false);
            int status = connection.getResponseCode();
            if (status != 200) {
                return ProbeResult.notReady("HTTP %d from %s".formatted(status, probe.url()));
            }
            if (!probe.bodyContains().isEmpty()) {
                String body;
                try (InputStream in = connection.getInputStream()) {
                    body = new String(in.readNBytes(MAX_BODY_BYTES), UTF_8);
                }
                if (!body.contains(probe.bodyContains())) {
                    return ProbeResult.notReady("HTTP 200 from %s, but the body does not contain \"%s\""
                            .formatted(probe.url(), probe.bodyContains()));
                }
            }
            return ProbeResult.ready("HTTP 200 from %s".formatted(probe.url()));
        } catch (SocketTimeoutException e) {
            return ProbeResult.notReady("no answer from %s within %s".formatted(probe.url(), seconds(attemptTimeout)));
        } catch (IOException e) {
            return ProbeResult.notReady(connectFailure(probe.url(), e));
        } finally {
            if (connection != null) {
                connection.disconnect();
            }
        }
    }

    private ProbeResult sqlPing(Probe.SqlPing probe) {
        String address = hostPort(probe.host(), probe.port());
        return withConnection(probe.host(), probe.port(), probe.user(), probe.passwordFile(), connection -> {
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT 1")) {
                rows.next();
                return ProbeResult.ready("SELECT 1 succeeded on %s as %s".formatted(address, probe.user()));
            }
        });
    }

    private ProbeResult replicaRunning(Probe.ReplicaRunning probe) {
        String address = hostPort(probe.host(), probe.port());
        return withConnection(probe.host(), probe.port(), probe.user(), probe.passwordFile(), connection -> {
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SHOW SLAVE STATUS")) {
                if (!rows.next()) {
                    return ProbeResult.notReady(
                            "%s is not a replica: SHOW SLAVE STATUS returned no rows".formatted(address));
                }
                String io = rows.getString("Slave_IO_Running");
                String sql = rows.getString("Slave_SQL_Running");
                StringBuilder detail =
                        new StringBuilder("Slave_IO_Running=%s, Slave_SQL_Running=%s".formatted(io, sql));
                if ("Yes".equals(io) && "Yes".equals(sql)) {
                    detail.append(", Seconds_Behind_Master=").append(rows.getString("Seconds_Behind_Master"));
                    return ProbeResult.ready(detail.toString());
                }
                appendIfPresent(detail, "Last_IO_Error", rows.getString("Last_IO_Error"));
                appendIfPresent(detail, "Last_SQL_Error", rows.getString("Last_SQL_Error"));
                return ProbeResult.notReady(detail.toString());
            }
        });
    }

    private ProbeResult withConnection(String host, int port, String user, String passwordFile, SqlCheck check) {
        String address = hostPort(host, port);
        String password;
        try {
            password = readPassword(Path.of(passwordFile));
        } catch (PasswordFileException e) {
            return ProbeResult.notReady(e.getMessage());
        }
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", Long.toString(timeoutMillis()));
        properties.setProperty("socketTimeout", Long.toString(timeoutMillis()));
        // Connector/J 4 asks for TLS by default, which a stock MariaDB 10.11 does not offer. A probe
        // talks to an instance on its own host, so the password never leaves the machine.
        properties.setProperty("sslMode", "disable");
        String url = "jdbc:mariadb://%s/".formatted(address);
        try (Connection connection = DriverManager.getConnection(url, properties)) {
            return check.run(connection);
        } catch (SQLException e) {
            if (hasCause(e, ConnectException.class)) {
                return ProbeResult.notReady("connection refused on %s".formatted(address));
            }
            return ProbeResult.notReady("SQL connection to %s as %s failed: %s".formatted(address, user, firstLine(e)));
        }
    }

    private ProbeResult haproxyBackendsUp(Probe.HaproxyBackendsUp probe) {
        Path socket = Path.of(probe.socketPath());
        String stats;
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer command = ByteBuffer.wrap("show stat\n".getBytes(UTF_8));
            while (command.hasRemaining()) {
                channel.write(command);
            }
            stats = readAll(channel);
        } catch (IOException e) {
            if (!Files.exists(socket)) {
                return ProbeResult.notReady("HAProxy admin socket %s does not exist".formatted(socket));
            }
            return ProbeResult.notReady("cannot talk to HAProxy admin socket %s: %s".formatted(socket, describe(e)));
        }
        return HaproxyStats.evaluate(socket, stats, probe.backends());
    }

    // HAProxy closes a non-interactive admin connection after answering.
    private static String readAll(SocketChannel channel) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (channel.read(buffer) >= 0) {
            out.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        }
        return out.toString(UTF_8);
    }

    private ProbeResult logLine(Probe.LogLine probe) throws IOException {
        Path file = Path.of(probe.file());
        Pattern pattern = Pattern.compile(probe.regex());
        // A log may hold bytes that are not UTF-8; the reader replaces them rather than failing.
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(file), UTF_8))) {
            long number = 0;
            String line;
            while ((line = reader.readLine()) != null) {
                number++;
                if (pattern.matcher(line).find()) {
                    return ProbeResult.ready("line %d of %s matches \"%s\"".formatted(number, file, probe.regex()));
                }
                if (Thread.currentThread().isInterrupted()) {
                    return ProbeResult.notReady("reading %s was interrupted".formatted(file));
                }
            }
            return ProbeResult.notReady(
                    "none of the %d lines of %s matches \"%s\"".formatted(number, file, probe.regex()));
        } catch (NoSuchFileException e) {
            return ProbeResult.notReady("log file %s does not exist".formatted(file));
        }
    }

    static String readPassword(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
                throw new PasswordFileException(
                        "password file %s has mode %s; it must be readable by its owner only (chmod 600)"
                                .formatted(file, PosixFilePermissions.toString(permissions)));
            }
            String content = Files.readString(file, UTF_8);
            // Editors and `echo` add a final newline that is not part of the password.
            return content.endsWith("\r\n")
                    ? content.substring(0, content.length() - 2)
                    : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
        } catch (NoSuchFileException e) {
            throw new PasswordFileException("password file %s does not exist".formatted(file));
        } catch (IOException e) {
            throw new PasswordFileException("cannot read password file %s: %s".formatted(file, describe(e)));
        }
    }

    private static String connectFailure(String address, IOException e) {
        if (e instanceof ConnectException || hasCause(e, ConnectException.class)) {
            return "connection refused on %s".formatted(address);
        }
        if (e instanceof SocketTimeoutException || hasCause(e, SocketTimeoutException.class)) {
            return "no answer from %s within the connect timeout".formatted(address);
        }
        if (e instanceof UnknownHostException) {
            return "unknown host in %s".formatted(address);
        }
        if (e instanceof NoRouteToHostException) {
            return "no route to %s".formatted(address);
        }
        return "cannot connect to %s: %s".formatted(address, describe(e));
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String firstLine(SQLException e) {
        String message = describe(e);
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static void appendIfPresent(StringBuilder detail, String column, String value) {
        if (value != null && !value.isEmpty()) {
            detail.append(", ").append(column).append('=').append(value);
        }
    }

    private static String hostPort(String host, int port) {
        return host.indexOf(':') >= 0 ? "[%s]:%d".formatted(host, port) : "%s:%d".formatted(host, port);
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0
                ? "%d s".formatted(duration.toSeconds())
                : "%d ms".formatted(duration.toMillis());
    }

    private int timeoutMillis() {
        return Math.toIntExact(attemptTimeout.toMillis());
    }

    private static String target(Probe probe) {
        return switch (probe) {
            case Probe.PortOpen p -> hostPort(p.host(), p.port());
            case Probe.HttpOk p -> p.url();
            case Probe.SqlPing p -> "MySQL " + hostPort(p.host(), p.port());
            case Probe.ReplicaRunning p -> "MySQL " + hostPort(p.host(), p.port());
            case Probe.HaproxyBackendsUp p -> "HAProxy admin socket " + p.socketPath();
            case Probe.LogLine p -> "log file " + p.file();
            case Probe.AllOf p -> "all of " + p.probes().size() + " probes";
        };
    }

    @FunctionalInterface
    private interface SqlCheck {
        ProbeResult run(Connection connection) throws SQLException;
    }

    private static final class PasswordFileException extends RuntimeException {
        PasswordFileException(String message) {
            super(message);
        }
    }

    /** Reads the CSV of HAProxy's {@code show stat}. */
    static final class HaproxyStats {
        private HaproxyStats() {}

        static ProbeResult evaluate(Path socket, String csv, List<String> backends) {
            String[] lines = csv.split("\n");
            if (lines.length == 0 || !lines[0].startsWith("# ")) {
                return ProbeResult.notReady("HAProxy admin socket %s did not answer with stats: %s"
                        .formatted(socket, lines.length == 0 ? "nothing" : lines[0]));
            }
            Map<String, Integer> columns = new HashMap<>();
            String[] header = lines[0].substring(2).split(",", -1);
            for (int i = 0; i < header.length; i++) {
                columns.put(header[i], i);
            }
            Integer proxy = columns.get("pxname");
            Integer server = columns.get("svname");
            Integer status = columns.get("status");
            Integer check = columns.get("check_status");
            if (proxy == null || server == null || status == null) {
                return ProbeResult.notReady("HAProxy stats from %s lack pxname, svname or status".formatted(socket));
            }
            Map<String, List<String[]>> servers = new HashMap<>();
            Set<String> seen = new HashSet<>();
            for (int i = 1; i < lines.length; i++) {
                String[] row = lines[i].split(",", -1);
                if (row.length <= Math.max(proxy, Math.max(server, status))) {
                    continue;
                }
                seen.add(row[proxy]);
                if (row[server].equals("FRONTEND") || row[server].equals("BACKEND")) {
                    continue;
                }
                servers.computeIfAbsent(row[proxy], ignored -> new ArrayList<>())
                        .add(row);
            }
            List<String> up = new ArrayList<>();
            for (String backend : backends) {
                if (!seen.contains(backend)) {
                    return ProbeResult.notReady("backend %s is not in HAProxy's stats".formatted(backend));
                }
                List<String[]> rows = servers.getOrDefault(backend, List.of());
                if (rows.isEmpty()) {
                    return ProbeResult.notReady("backend %s has no servers".formatted(backend));
                }
                for (String[] row : rows) {
                    String name = backend + "/" + row[server];
                    String state = row[status];
                    // "UP 1/3" is a server that is up and failing its checks; it still takes traffic.
                    if (!state.equals("UP") && !state.startsWith("UP ")) {
                        String checkStatus = check != null && check < row.length && !row[check].isEmpty()
                                ? " (check: %s)".formatted(row[check])
                                : "";
                        return ProbeResult.notReady("server %s is %s%s".formatted(name, state, checkStatus));
                    }
                    up.add(name);
                }
            }
            return ProbeResult.ready("servers UP: " + String.join(", ", up));
        }
    }
}
