package io.flotilla.catalog;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import io.flotilla.topology.Topology;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * HAProxy as the stateless SQL gateway: {@code port} goes to the MariaDB primary,
 * {@code read_port} round-robins over healthy replicas (the primary stands by as a backup), and
 * {@code stats_port} serves Prometheus metrics. Its admin socket stays on the host.
 */
public final class HaproxyKind extends PackagedKind {
    static final String PRIMARY_BACKEND = "mariadb_primary";
    static final String REPLICA_BACKEND = "mariadb_replicas";
    private static final KubernetesPods PODS = new HaproxyPods();

    /**
     * The {@code defaults} section of every haproxy.cfg the catalog writes, on hosts and on
     * Kubernetes; it ends inside the {@code default-server} line, so that a config can add to it.
     */
    static final String DEFAULTS = """
            defaults
                mode tcp
                timeout connect 5s
                timeout client 1h
                timeout server 1h
                timeout check 2s
                default-server inter 1s fall 2 rise 1""";

    public HaproxyKind() {
        super(Schemas.HAPROXY, "/usr/sbin/haproxy", "haproxy", Duration.ofSeconds(20));
    }

    @Override
    public Optional<KubernetesPods> kubernetes() {
        return Optional.of(PODS);
    }

    @Override
    public Set<String> dependencies(String tier) {
        return Set.of(MariaDbKind.PRIMARY_TIER, MariaDbKind.REPLICA_TIER, "tidb");
    }

    @Override
    public int stopTimeoutSeconds() {
        return 10;
    }

    @Override
    public List<String> commandLine(InstanceContext context) {
        return List.of(
                binary(), "-W", "-db", "-f", context.confFile("haproxy.cfg").toString());
    }

    @Override
    public Map<String, String> configFiles(InstanceContext context) {
        Instance instance = context.instance();
        List<Instance> mariadb = context.topology().instances("mariadb");
        StringBuilder cfg = new StringBuilder();
        cfg.append("# Written by Flotilla for ").append(instance.id()).append(". Changes are replaced on deploy.\n");
        cfg.append("""
                global
                    maxconn 4096
                    stats socket %s mode 600 level admin
                    stats timeout 10s

                %s

                frontend mysql_read_write
                    bind %s
                    default_backend %s

                frontend mysql_read
                    bind %s
                    default_backend %s

                frontend stats
                    mode http
                    bind %s
                    timeout client 10s
                    http-request use-service prometheus-exporter if { path /metrics }
                    http-request return status 404 content-type text/plain string "metrics are at /metrics\\n" unless { path /metrics }

                """.formatted(
                        word(adminSocket(context)),
                        DEFAULTS,
                        context.listen("port"),
                        PRIMARY_BACKEND,
                        context.listen("read_port"),
                        REPLICA_BACKEND,
                        context.listen("stats_port")));
        cfg.append("backend ").append(PRIMARY_BACKEND).append('\n');
        for (Instance server : mariadb) {
            if (ha(context)) {
                cfg.append(
                        "    server %s %s%s\n".formatted(serverName(server), server.id(), writeCheck(context, server)));
            } else if (MariaDbKind.isPrimary(server)) {
                cfg.append("    server %s %s check\n".formatted(serverName(server), server.id()));
            }
        }
        cfg.append("\nbackend ").append(REPLICA_BACKEND).append("\n    balance roundrobin\n");
        for (Instance server : mariadb) {
            String backup = MariaDbKind.isPrimary(server) ? " backup" : "";
            cfg.append("    server %s %s check%s%s\n"
                    .formatted(serverName(server), server.id(), agentCheck(context, server), backup));
        }
        return Map.of("conf/haproxy.cfg", cfg.toString());
    }

    /**
     * A replica is in the read pool only while its agent says it is ready, IO and SQL threads
     * running, not merely while its port accepts connections. An agent that cannot be reached
     * leaves the decision to the TCP check.
     */
    private static String agentCheck(InstanceContext context, Instance server) {
        Integer port = context.agentCheckPorts().get(server.host());
        if (port == null || MariaDbKind.isPrimary(server)) {
            return "";
        }
        return " agent-check agent-addr %s agent-port %d agent-send \"%s\\n\" agent-inter 1s"
                .formatted(server.host(), port, server.id());
    }

    /**
     * With HA every MariaDB is in the write pool, and its agent says "up" only for the one that holds
     * the leader lease and was promoted, so the gateway follows a failover without a reload. The
     * health check goes to the agent's own port: a dead agent takes its server out (HAProxy keeps
     * the last agent answer when the agent cannot be reached). Non-leaders are read-only as well,
     * so a check that has not answered yet (HAProxy's first second) bounces writes, never takes them.
     */
    private static String writeCheck(InstanceContext context, Instance server) {
        int port = context.agentCheckPorts().get(server.host());
        return " check port %d agent-check agent-addr %s agent-port %d agent-send \"write %s\\n\" agent-inter 1s"
                .formatted(port, server.host(), port, server.id());
    }

    private static boolean ha(InstanceContext context) {
        return !context.topology().instances("mariadb").isEmpty()
                && MariaDbKind.ha(context)
                && context.topology().instances("mariadb").stream()
                        .allMatch(server -> context.agentCheckPorts().containsKey(server.host()));
    }

    /**
     * The master process re-reads its file on USR2 and starts new workers (old ones finish their
     * connections); its stats page lists the servers it has loaded.
     */
    @Override
    public Optional<Reload> reload() {
        return Optional.of(new Reload("USR2", "stats_port", "/metrics", HaproxyKind::loadedMarkers));
    }

    private static List<String> loadedMarkers(Instance other) {
        if (!other.component().equals("mariadb")) {
            return List.of();
        }
        String replica = "proxy=\"%s\",server=\"%s\"".formatted(REPLICA_BACKEND, serverName(other));
        if (MariaDbKind.isPrimary(other)) {
            return List.of(replica, "proxy=\"%s\",server=\"%s\"".formatted(PRIMARY_BACKEND, serverName(other)));
        }
        return List.of(replica);
    }

    /** The server's name in haproxy.cfg, its id with what HAProxy refuses in a name (an IPv6 host's brackets) left out. */
    private static String serverName(Instance server) {
        return server.id().replace("[", "").replace("]", "").replace(':', '_');
    }

    /**
     * One word of haproxy.cfg as HAProxy reads it back: bare when it holds nothing HAProxy treats
     * specially, else in single quotes, inside which HAProxy expands nothing (no escapes, no
     * environment variables), a single quote itself written as {@code '\''}.
     */
    static String word(String text) {
        if (!text.isEmpty()
                && text.chars()
                        .allMatch(c -> (c < 128 && Character.isLetterOrDigit(c)) || "_./:-@+,=".indexOf(c) >= 0)) {
            return text;
        }
        return "'" + text.replace("'", "'\\''") + "'";
    }

    static String adminSocket(InstanceContext context) {
        return context.deployDir().resolve("run/haproxy.sock").toString();
    }

    @Override
    public Probe readiness(InstanceContext context) {
        return Probe.allOf(
                new Probe.PortOpen(context.connectHost(), context.instance().port("port")),
                new Probe.HaproxyBackendsUp(adminSocket(context), List.of(PRIMARY_BACKEND, REPLICA_BACKEND)));
    }

    @Override
    public Optional<String> scaleInRefusal(String cluster, Topology topology, Instance instance) {
        if (topology.instances(name()).size() > 1
                || topology.instances(Schemas.MARIADB.component()).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                "%s is the only gateway of cluster '%s': clients reach MariaDB through it. Scale out another haproxy instance first"
                        .formatted(instance.id(), cluster));
    }

    /** The first gateway's read-write and read-only ports. */
    @Override
    public Map<String, String> endpoints(Topology topology) {
        List<Instance> gateways = topology.instances(name());
        if (gateways.isEmpty()) {
            return Map.of();
        }
        Instance gateway = gateways.getFirst();
        return Map.of(Endpoints.MYSQL, gateway.address("port"), Endpoints.MYSQL_READ, gateway.address("read_port"));
    }
}
