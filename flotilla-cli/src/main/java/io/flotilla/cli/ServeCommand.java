package io.flotilla.cli;

import io.flotilla.engine.ClusterStore;
import io.flotilla.operations.ClusterManager;
import io.flotilla.sql.ClusterSql;
import io.flotilla.sql.cluster.AgentClusterSql;
import io.flotilla.sql.protocol.MysqlServer;
import io.flotilla.sql.protocol.ServerSettings;
import io.flotilla.sql.protocol.ServerTls;
import io.flotilla.sql.session.Account;
import io.flotilla.sql.session.ClusterFrontend;
import io.flotilla.sql.session.FleetDatabase;
import io.flotilla.sql.session.PasswordFile;
import io.flotilla.sql.session.SingleCluster;
import io.flotilla.sql.session.SqlEndpoint;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.HostPort;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        subcommands = {ServeCommand.Password.class},
        description = {
            "Serve the cluster tables to MySQL clients and drivers.",
            "Each cluster is a database. Users: root (may SET CONFIG) and flotilla_ro (reads only). With --cluster, one cluster with its own passwords (`flotilla cluster password NAME [--read-only]`); without it, every cluster, with the passwords of `flotilla serve password [--read-only]` (kept 0600 in $FLOTILLA_HOME/sql/passwords.json). TLS uses a self-signed certificate generated on first use (key 0600; in the cluster's sql-tls folder or $FLOTILLA_HOME/sql/tls): `mariadb --ssl`; MariaDB Connector/J 4 needs sslMode=trust, or sslMode=verify-ca with serverSslCert=cert.pem. Until a client logs in, a packet over 16 KB closes its connection (after it, max_allowed_packet, 64 MB). Stays in the foreground until Ctrl-C."
        })
final class ServeCommand extends OutputCommand {
    static final int DEFAULT_PORT = 4406;

    @Option(
            names = "--listen",
            defaultValue = "127.0.0.1:" + DEFAULT_PORT,
            paramLabel = "HOST:PORT",
            description = "Where to listen (default: ${DEFAULT-VALUE}).")
    private String listen;

    @Option(names = "--cluster", paramLabel = "NAME", description = "Serve this cluster only.")
    private String cluster;

    @Option(
            names = "--connect-timeout",
            paramLabel = "SECONDS",
            defaultValue = "10",
            description = "connect_timeout: a client not logged in this long after connecting is"
                    + " closed (default: ${DEFAULT-VALUE}).")
    private long connectTimeout;

    @Option(
            names = "--wait-timeout",
            paramLabel = "SECONDS",
            defaultValue = "28800",
            description = "wait_timeout: a session that sends no command for this long is closed with"
                    + " error 4031 (default: ${DEFAULT-VALUE}).")
    private long waitTimeout;

    @Option(
            names = "--max-connections",
            paramLabel = "N",
            defaultValue = "151",
            description = "max_connections, counted from accept, logged in or not; the next client"
                    + " gets error 1040 Too many connections (default: ${DEFAULT-VALUE}).")
    private int maxConnections;

    @Option(
            names = "--require-secure-transport",
            arity = "0..1",
            paramLabel = "true|false",
            fallbackValue = "true",
            description = "require_secure_transport: a login without TLS gets error 3159 (default: on"
                    + " unless --listen is a loopback address).")
    private Boolean requireSecureTransport;

    @Option(
            names = "--connection-control-failed-connections-threshold",
            paramLabel = "N",
            defaultValue = "3",
            description = "After N consecutive failed logins from one address, its next logins are"
                    + " answered late, right password or not, until one succeeds; 0: never"
                    + " (default: ${DEFAULT-VALUE}).")
    private int failedLoginThreshold;

    @Option(
            names = "--connection-control-min-connection-delay",
            paramLabel = "MS",
            defaultValue = "1000",
            description = "The delay after the threshold is reached, and what each further failure"
                    + " adds to it (default: ${DEFAULT-VALUE}).")
    private long minLoginDelay;

    @Option(
            names = "--connection-control-max-connection-delay",
            paramLabel = "MS",
            defaultValue = "30000",
            description = "The longest that delay gets (default: ${DEFAULT-VALUE}).")
    private long maxLoginDelay;

    @Override
    int run(Output output) throws Exception {
        InetSocketAddress address = parseListen(listen);
        ServerSettings settings = settings(address);
        ClusterManager clusters = Services.clusters(output);
        ClusterSql sql = new AgentClusterSql(clusters, SqlCommand.NODE_TIMEOUT);
        ClusterSql served;
        List<Account> accounts;
        String passwordHint;
        if (cluster != null) {
            if (!sql.databases().contains(cluster)) {
                throw new OperationException(
                        ErrorCode.NO_CLUSTER,
                        "there is no cluster '%s'; `flotilla cluster list` shows the clusters".formatted(cluster));
            }
            served = new SingleCluster(sql, cluster);
            accounts = clusterAccounts(clusters, cluster);
            passwordHint = "flotilla cluster password %s [--read-only]".formatted(cluster);
        } else {
            served = new FleetDatabase(sql, clusters);
            PasswordFile passwords = homePasswords(clusters);
            accounts = List.of(
                    Account.root(passwords.password(Account.ROOT)),
                    Account.readOnly(passwords.password(Account.READ_ONLY)));
            passwordHint = "flotilla serve password [--read-only]";
        }
        Path tlsDir = cluster == null
                ? clusters.home().root().resolve("sql").resolve("tls")
                : clusters.home().cluster(cluster).dir().resolve("sql-tls");
        ServerTls tls = ServerTls.loadOrGenerate(tlsDir, "flotilla");
        try (MysqlServer server = MysqlServer.start(address, new ClusterFrontend(served, accounts), tls, settings)) {
            Path record =
                    cluster == null ? null : clusters.home().cluster(cluster).dir();
            if (record != null) {
                new SqlEndpoint(
                                hostPort(server.address()),
                                ProcessHandle.current().pid())
                        .write(record);
                Runtime.getRuntime()
                        .addShutdownHook(new Thread(() -> SqlEndpoint.remove(record), "sql-endpoint-remove"));
            }
            output.out()
                    .printf(
                            "Serving cluster SQL for %s on %s.%n",
                            cluster == null ? "every cluster" : "cluster '%s'".formatted(cluster),
                            hostPort(server.address()));
            output.out()
                    .printf(
                            "Connect: mariadb --ssl -h %s -P %d -u root -p   (password: %s)%n",
                            server.address().getHostString(), server.port(), passwordHint);
            output.out().printf("TLS certificate (self-signed): %s%n", tlsDir.resolve("cert.pem"));
            output.out().println("Press Ctrl-C to stop.");
            server.awaitClose();
        }
        return 0;
    }

    private ServerSettings settings(InetSocketAddress address) {
        // MySQL's ranges for the variables, where it has them.
        between("--connect-timeout", connectTimeout, 2, 31_536_000);
        between("--wait-timeout", waitTimeout, 1, 31_536_000);
        between("--max-connections", maxConnections, 1, 100_000);
        between("--connection-control-failed-connections-threshold", failedLoginThreshold, 0, Integer.MAX_VALUE);
        between("--connection-control-min-connection-delay", minLoginDelay, 1000, Integer.MAX_VALUE);
        between("--connection-control-max-connection-delay", maxLoginDelay, minLoginDelay, Integer.MAX_VALUE);
        return new ServerSettings(
                Duration.ofSeconds(connectTimeout),
                Duration.ofSeconds(waitTimeout),
                maxConnections,
                requireSecureTransport == null ? MysqlServer.requiresSecureTransport(address) : requireSecureTransport,
                new ServerSettings.LoginDelay(
                        failedLoginThreshold, Duration.ofMillis(minLoginDelay), Duration.ofMillis(maxLoginDelay)));
    }

    private static void between(String option, long value, long minimum, long maximum) {
        if (value < minimum || value > maximum) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "%s must be between %d and %d, got %d".formatted(option, minimum, maximum, value));
        }
    }

    /** root with the cluster's root password; flotilla_ro with its own, kept 0600 in the cluster's folder. */
    static List<Account> clusterAccounts(ClusterManager clusters, String name) {
        ClusterStore store = clusters.home().cluster(name);
        return List.of(
                Account.root(clusters.secrets(name).rootPassword()),
                Account.readOnly(clusterPasswords(store).password(Account.READ_ONLY)));
    }

    static PasswordFile clusterPasswords(ClusterStore store) {
        return new PasswordFile(store.dir().resolve("sql-passwords.json"));
    }

    static PasswordFile homePasswords(ClusterManager clusters) {
        return new PasswordFile(clusters.home().root().resolve("sql").resolve("passwords.json"));
    }

    static String hostPort(InetSocketAddress address) {
        return HostPort.of(address.getHostString(), address.getPort());
    }

    static InetSocketAddress parseListen(String listen) {
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "--listen must be HOST:PORT (for example 127.0.0.1:4406), got '%s'".formatted(listen));
        }
        try {
            int port = Integer.parseInt(listen.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(listen.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "--listen must end with a port between 0 and 65535, got '%s'".formatted(listen));
        }
    }

    @Command(
            name = "password",
            mixinStandardHelpOptions = true,
            description =
                    "Print the password of `flotilla serve` (without --cluster) for root, or with --read-only for flotilla_ro.")
    static final class Password extends OutputCommand {
        @Option(names = "--read-only", description = "The password of the read-only user flotilla_ro.")
        private boolean readOnly;

        @Override
        int run(Output output) {
            PasswordFile passwords = homePasswords(Services.clusters(output));
            output.out().println(passwords.password(readOnly ? Account.READ_ONLY : Account.ROOT));
            return 0;
        }
    }
}
