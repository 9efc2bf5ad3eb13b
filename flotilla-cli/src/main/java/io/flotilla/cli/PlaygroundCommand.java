package io.flotilla.cli;

import io.flotilla.catalog.Endpoints;
import io.flotilla.engine.ClusterStore;
import io.flotilla.operations.ClusterManager;
import io.flotilla.operations.ClusterView;
import io.flotilla.plan.Selection;
import io.flotilla.sql.cluster.AgentClusterSql;
import io.flotilla.sql.protocol.MysqlServer;
import io.flotilla.sql.protocol.ServerTls;
import io.flotilla.sql.session.ClusterFrontend;
import io.flotilla.sql.session.SingleCluster;
import io.flotilla.sql.session.SqlEndpoint;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.OperationName;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "playground",
        mixinStandardHelpOptions = true,
        description = {
            "Deploy and start a local cluster named 'playground' on 127.0.0.1.",
            "It has a MariaDB primary and replicas with GTID replication, the HAProxy gateway (4000 read-write, 4001 read), Prometheus and the exporters.",
            "While in the foreground it also serves the cluster SQL endpoint on 4406 (`flotilla sql playground` works either way).",
            "Its files live under $FLOTILLA_HOME (default ~/.flotilla). Stays in the foreground until Ctrl-C, which stops it; run it again to start it again. `flotilla cluster destroy playground --yes` removes it."
        })
final class PlaygroundCommand extends OutputCommand {
    static final String NAME = "playground";
    private static final List<Integer> AUTOMATIC_OFFSETS = List.of(0, 10000, 20000, 30000, 40000);

    @Option(names = "--replicas", defaultValue = "2", description = "MariaDB replicas (default: ${DEFAULT-VALUE}).")
    private int replicas;

    @Option(
            names = "--port-offset",
            description =
                    "Add this to every default port. Without it, the first offset of 0, 10000, 20000, ... whose ports are all free is used.")
    private Integer portOffset;

    @Option(names = "--detach", description = "Return once the cluster is up and leave it running.")
    private boolean detach;

    @Mixin
    private FormatOption format;

    @Override
    int run(Output output) throws Exception {
        if (replicas < 0 || replicas > 20) {
            throw new OperationException(ErrorCode.BAD_OPTION, "--replicas must be between 0 and 20, got " + replicas);
        }
        ClusterManager clusters = Services.clusters(output);
        ClusterStore store = clusters.home().cluster(NAME);
        long started = System.nanoTime();
        if (store.exists() && store.meta().status().equals("deployed")) {
            PlaygroundTopology existing = PlaygroundTopology.parse(store.topologyText());
            if (existing.replicas() != replicas || (portOffset != null && existing.portOffset() != portOffset)) {
                throw new OperationException(
                        ErrorCode.PLAYGROUND_EXISTS,
                        "a playground with %d replicas and port offset %d already exists; run `flotilla cluster destroy playground --yes` first to change it"
                                .formatted(existing.replicas(), existing.portOffset()));
            }
            output.err().printf("Starting the existing playground (%s).%n", store.dir());
        } else {
            // An unfinished deploy is finished with the topology it began with.
            PlaygroundTopology topology = store.exists()
                    ? PlaygroundTopology.parse(store.topologyText())
                    : new PlaygroundTopology(
                            replicas,
                            chooseOffset(output),
                            clusters.home().root().resolve("clusters").resolve(NAME));
            String yaml = store.exists() ? store.topologyText() : topology.yaml();
            Path file = store.topologyFile();
            clusters.deploy(NAME, file, yaml, Services.commandLine("playground"), topology.agentPort(), null);
        }
        clusters.run(NAME, OperationName.START, Selection.ALL, Services.commandLine("playground"));
        MysqlServer sql = detach ? null : serveSql(output, clusters, store);
        ClusterView view = clusters.display(NAME);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        report(output, view, took, store);
        if (detach) {
            return 0;
        }
        waitForInterrupt(output, clusters, sql, store);
        return 0;
    }

    /**
     * The foreground playground serves its SQL endpoint itself, on 4406 plus the port offset; a
     * detached one leaves that to `flotilla serve --cluster playground`, since this process exits.
     */
    private static MysqlServer serveSql(Output output, ClusterManager clusters, ClusterStore store) {
        int port = PlaygroundTopology.SQL_PORT
                + PlaygroundTopology.parse(store.topologyText()).portOffset();
        try {
            MysqlServer server = MysqlServer.start(
                    new InetSocketAddress("127.0.0.1", port),
                    new ClusterFrontend(
                            new SingleCluster(new AgentClusterSql(clusters, SqlCommand.NODE_TIMEOUT), NAME),
                            ServeCommand.clusterAccounts(clusters, NAME)),
                    ServerTls.loadOrGenerate(store.dir().resolve("sql-tls"), "flotilla"));
            new SqlEndpoint(
                            ServeCommand.hostPort(server.address()),
                            ProcessHandle.current().pid())
                    .write(store.dir());
            return server;
        } catch (IllegalStateException e) {
            output.err().printf("Warning: the SQL endpoint is not served: %s%n", e.getMessage());
            return null;
        }
    }

    private void report(Output output, ClusterView view, Duration took, ClusterStore store) {
        Map<String, String> endpoints = ClusterCommand.sqlEndpoint(view, store.dir());
        if (format.json()) {
            Map<String, Object> json = ClusterCommand.displayJson(view);
            json.put("endpoints", endpoints);
            json.put("startup_seconds", took.toMillis() / 1000.0);
            json.put("detached", detach);
            output.json(json);
            return;
        }
        String mysql = view.endpoints().get(Endpoints.MYSQL);
        String read = view.endpoints().get(Endpoints.MYSQL_READ);
        output.out()
                .printf(
                        "%nPlayground is up in %.1f s: %d instances.%n%n",
                        took.toMillis() / 1000.0, view.instances().size());
        output.out().printf("Connect (read-write):  mariadb -h %s -P %s -u root -p%n", host(mysql), port(mysql));
        output.out().printf("Connect (read-only):   mariadb -h %s -P %s -u root -p%n", host(read), port(read));
        output.out().printf("Root password:         flotilla cluster password %s%n", NAME);
        String sql = endpoints.get("sql");
        if (sql != null) {
            output.out()
                    .printf(
                            "Cluster SQL:           mariadb --ssl -h %s -P %s -u root -p   (or flotilla_ro:"
                                    + " flotilla cluster password %s --read-only)%n",
                            host(sql), port(sql), NAME);
        } else {
            output.out()
                    .printf(
                            "Cluster SQL:           flotilla sql %s   (MySQL clients: flotilla serve --cluster %s)%n",
                            NAME, NAME);
        }
        output.out()
                .printf("Prometheus:            http://%s%n", view.endpoints().get(Endpoints.PROMETHEUS));
        output.out().printf("Status:                flotilla cluster display %s%n", NAME);
        output.out()
                .println(
                        detach
                                ? "It keeps running; stop it with `flotilla cluster stop playground`."
                                : "Press Ctrl-C to stop it.");
    }

    /** The host of {@code host:port}, an IPv6 one without its brackets, as {@code mariadb -h} takes it. */
    private static String host(String address) {
        return address.substring(0, address.lastIndexOf(':')).replace("[", "").replace("]", "");
    }

    private static String port(String address) {
        return address.substring(address.lastIndexOf(':') + 1);
    }

    private static void waitForInterrupt(Output output, ClusterManager clusters, MysqlServer sql, ClusterStore store)
            throws InterruptedException {
        Thread hook = new Thread(
                () -> {
                    output.err().println("\nStopping the playground...");
                    if (sql != null) {
                        sql.close();
                        SqlEndpoint.remove(store.dir());
                    }
                    try {
                        clusters.run(
                                NAME,
                                OperationName.STOP,
                                Selection.ALL,
                                Services.commandLine("playground", "(Ctrl-C)"));
                        output.err().println("Playground stopped; `flotilla playground` starts it again.");
                    } catch (RuntimeException e) {
                        output.err().printf("Error: %s%n", e.getMessage());
                    }
                },
                "playground-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        new CountDownLatch(1).await();
    }

    /** The given offset when its ports are free, else the first automatic one whose ports are all free. */
    private int chooseOffset(Output output) {
        List<Integer> candidates = portOffset != null ? List.of(portOffset) : AUTOMATIC_OFFSETS;
        Map<Integer, List<Integer>> busy = new LinkedHashMap<>();
        for (int offset : candidates) {
            List<Integer> taken = new ArrayList<>();
            for (int port : new PlaygroundTopology(replicas, offset, Path.of("/")).ports()) {
                if (!free(port)) {
                    taken.add(port);
                }
            }
            if (taken.isEmpty()) {
                if (offset != candidates.getFirst()) {
                    output.err()
                            .printf(
                                    "Default ports are in use (%s); using port offset %d.%n",
                                    busy.values().iterator().next(), offset);
                }
                return offset;
            }
            busy.put(offset, taken);
        }
        throw new OperationException(
                ErrorCode.PORTS_BUSY,
                "no free set of ports for the playground: %s; free them or pass --port-offset"
                        .formatted(busy.entrySet().stream()
                                .map(entry -> "offset %d: %s in use".formatted(entry.getKey(), entry.getValue()))
                                .toList()));
    }

    private static boolean free(int port) {
        if (port > 65535) {
            return false;
        }
        try (ServerSocket socket = new ServerSocket()) {
            // As the servers do: a port held only by connections in TIME_WAIT is free to listen on.
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
