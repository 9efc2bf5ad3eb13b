package io.flotilla.engine;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.AgentException;
import io.flotilla.agent.InstanceStatus;
import io.flotilla.agent.ProbeResult;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.ClusterSecrets;
import io.flotilla.catalog.MariaDbKind;
import io.flotilla.exec.CommandResult;
import io.flotilla.exec.ListeningPorts;
import io.flotilla.plan.AgentRuntime;
import io.flotilla.plan.ClusterContext;
import io.flotilla.plan.ClusterPlanner;
import io.flotilla.plan.OperationException;
import io.flotilla.plan.Plan;
import io.flotilla.plan.Selection;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyConflicts;
import io.flotilla.topology.TopologyException;
import io.flotilla.topology.TopologyParser;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * The operations on clusters whose hosts are this machine: deploy, start, stop, restart,
 * display, destroy. Each takes the cluster's lock, compiles a plan and runs it journaled.
 */
public final class ClusterManager {
    public static final int DEFAULT_AGENT_PORT = 9760;
    private static final String VERSION = "0.1.0";

    private final FlotillaHome home;
    private final Catalog catalog;
    private final Engine engine;
    private final Operation.ResumeListener resumeListener;

    public ClusterManager(FlotillaHome home, Catalog catalog, Engine engine, Operation.ResumeListener resumeListener) {
        this.home = requireNonNull(home, "home is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.engine = requireNonNull(engine, "engine is null");
        this.resumeListener = requireNonNull(resumeListener, "resumeListener is null");
    }

    public FlotillaHome home() {
        return home;
    }

    /** Parses and validates a topology for a new or resumed deploy, against the other clusters too. */
    public Topology checkTopology(String name, Path file, String yaml, SshAccess ssh) {
        Topology topology = TopologyParser.parse(yaml, file.toString());
        Map<String, Topology> others = new LinkedHashMap<>();
        for (ClusterStore other : home.clusters()) {
            if (!other.name().equals(name)) {
                others.put(
                        other.name(),
                        TopologyParser.parse(
                                other.topologyText(), other.topologyFile().toString()));
            }
        }
        var conflicts = TopologyConflicts.between(topology, others);
        if (!conflicts.isEmpty()) {
            throw new TopologyException(conflicts);
        }
        topology.hosts().forEach(host -> Hosts.requireReachable(host, ssh));
        return topology;
    }

    /** Compiles the deploy plan; with {@code dryRun} nothing is written. */
    public Plan deployPlan(String name, Path file, String yaml, SshAccess ssh) {
        Topology topology = checkTopology(name, file, yaml, ssh);
        ClusterStore store = home.cluster(name);
        ClusterMeta meta = store.exists() ? store.meta() : newMeta(store, topology, DEFAULT_AGENT_PORT, ssh, false);
        ClusterSecrets preview = store.exists() ? store.secrets() : new ClusterSecrets("-", "-", "-");
        return new ClusterPlanner(context(store, topology, meta, preview)).deploy();
    }

    public Journal deploy(String name, Path file, String yaml, String command, int agentPortBase, SshAccess ssh) {
        ClusterStore store = home.cluster(name);
        Topology topology = checkTopology(name, file, yaml, ssh);
        try (ClusterLock ignored = ClusterLock.acquire(store.lockFile(), name, command)) {
            try {
                return deploy(store, topology, yaml, command, agentPortBase, ssh);
            } catch (RuntimeException e) {
                if (!store.exists()) {
                    // Refused before any state was written: leave no trace of the attempt, lock file included.
                    store.delete();
                }
                throw e;
            }
        }
    }

    private Journal deploy(
            ClusterStore store, Topology topology, String yaml, String command, int agentPortBase, SshAccess ssh) {
        String name = store.name();
        ClusterMeta meta;
        if (store.exists()) {
            meta = store.meta();
            if (!meta.status().equals("deploying")) {
                throw new OperationException(
                        "EXISTS",
                        "cluster '%s' is already deployed; start it with `flotilla cluster start %s`, or destroy it first"
                                .formatted(name, name));
            }
            if (!store.topologyText().equals(yaml)) {
                throw new OperationException(
                        "DEPLOY_CHANGED",
                        "cluster '%s' has an unfinished deploy of a different topology (%s); deploy that file again to finish it, or destroy the cluster"
                                .formatted(name, store.topologyFile()));
            }
        } else {
            meta = newMeta(store, topology, agentPortBase, ssh, true);
            ClusterContext preview = context(store, topology, meta, new ClusterSecrets("-", "-", "-"));
            try {
                new ClusterPlanner(preview).checkHosts();
            } finally {
                preview.close();
            }
            store.writeTopology(yaml);
            store.writeMeta(meta);
        }
        ClusterSecrets secrets = store.secrets();
        ClusterContext context = context(store, topology, meta, secrets);
        try {
            Journal journal =
                    Operation.run(home, store, new ClusterPlanner(context).deploy(), command, engine, resumeListener);
            store.writeMeta(meta.withStatus("deployed"));
            return journal;
        } finally {
            context.close();
        }
    }

    public Plan plan(String name, String operation, Selection selection) {
        ClusterStore store = existing(name);
        ClusterContext context = context(store);
        try {
            return compile(new ClusterPlanner(context), operation, selection);
        } finally {
            context.close();
        }
    }

    private static Plan compile(ClusterPlanner planner, String operation, Selection selection) {
        return switch (operation) {
            case "start" -> planner.start(selection);
            case "stop" -> planner.stop(selection);
            case "restart" -> planner.restart(selection);
            case "reload" -> planner.reload(selection);
            case "destroy" -> planner.destroy();
            default -> throw new IllegalArgumentException("unknown operation " + operation);
        };
    }

    public Journal run(String name, String operation, Selection selection, String command) {
        ClusterStore store = existing(name);
        try (ClusterLock ignored = ClusterLock.acquire(store.lockFile(), name, command)) {
            if (!operation.equals("destroy") && store.meta().status().equals("deploying")) {
                throw new OperationException(
                        "NOT_DEPLOYED",
                        "cluster '%s' has an unfinished deploy; run `flotilla cluster deploy %s %s` again to finish it"
                                .formatted(name, name, store.topologyFile()));
            }
            ClusterContext context = context(store);
            try {
                Plan plan = compile(new ClusterPlanner(context), operation, selection);
                Journal journal = Operation.run(home, store, plan, command, engine, resumeListener);
                if (operation.equals("destroy")) {
                    store.delete();
                }
                return journal;
            } finally {
                context.close();
            }
        }
    }

    public ClusterSecrets secrets(String name) {
        return existing(name).secrets();
    }

    /**
     * Runs a shell command on hosts of the cluster side by side (all of them when {@code hosts} is
     * empty) and returns each host's result in topology order; a host that cannot be reached gets
     * exit code 255 and the reason on stderr, and the others still answer.
     */
    public Map<String, CommandResult> exec(String name, String command, Set<String> hosts, Duration timeout) {
        ClusterStore store = existing(name);
        Topology topology =
                TopologyParser.parse(store.topologyText(), store.topologyFile().toString());
        List<String> targets = topology.hosts().stream()
                .filter(host -> hosts.isEmpty() || hosts.contains(host))
                .toList();
        Set<String> unknown = new java.util.TreeSet<>(hosts);
        unknown.removeAll(topology.hosts());
        if (!unknown.isEmpty()) {
            throw new OperationException(
                    "BAD_SELECTION",
                    "%s not in cluster '%s'; its hosts are %s"
                            .formatted(String.join(", ", unknown), name, String.join(", ", topology.hosts())));
        }
        Map<String, CommandResult> results = new ConcurrentHashMap<>();
        try (Hosts executors = new Hosts(store.meta().ssh(), store.dir().resolve("known_hosts"));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String host : targets) {
                threads.submit(() -> {
                    try {
                        results.put(host, executors.apply(host).run(List.of("sh", "-c", command), timeout));
                    } catch (RuntimeException e) {
                        results.put(host, new CommandResult(255, "", e.getMessage() + "\n"));
                    }
                });
            }
        }
        Map<String, CommandResult> ordered = new LinkedHashMap<>();
        targets.forEach(host -> ordered.put(host, results.get(host)));
        return ordered;
    }

    public List<ClusterStore> list() {
        return home.clusters();
    }

    public Topology topology(String name) {
        ClusterStore store = existing(name);
        return TopologyParser.parse(store.topologyText(), store.topologyFile().toString());
    }

    /** The status of every instance, asked of the agents in parallel; an unreachable agent's instances are Disconnected. */
    public ClusterView display(String name) {
        ClusterContext context = context(existing(name));
        try {
            return view(context);
        } finally {
            context.close();
        }
    }

    private ClusterView view(ClusterContext context) {
        String name = context.name();
        Topology topology = context.topology();
        Map<String, Map<String, InstanceStatus>> byHost = new ConcurrentHashMap<>();
        Map<String, String> unreachable = new ConcurrentHashMap<>();
        Map<String, ProbeResult> readiness = new ConcurrentHashMap<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> hosts = new ArrayList<>();
            for (String host : topology.hosts()) {
                hosts.add(threads.submit(() -> {
                    try {
                        byHost.put(
                                host,
                                context.agent(host).instances().stream()
                                        .collect(Collectors.toMap(InstanceStatus::id, status -> status)));
                    } catch (AgentException e) {
                        unreachable.put(host, e.getMessage());
                    }
                }));
            }
            waitAll(hosts);
            List<Future<?>> probes = new ArrayList<>();
            for (Instance instance : topology.instances()) {
                InstanceStatus status =
                        byHost.getOrDefault(instance.host(), Map.of()).get(instance.id());
                if (status != null && status.state() == InstanceStatus.State.RUNNING) {
                    probes.add(threads.submit(() -> {
                        try {
                            readiness.put(
                                    instance.id(),
                                    context.agent(instance.host()).ready(instance.id()));
                        } catch (AgentException e) {
                            readiness.put(instance.id(), ProbeResult.notReady(e.getMessage()));
                        }
                    }));
                }
            }
            waitAll(probes);
        }
        List<ClusterView.InstanceView> views = new ArrayList<>();
        for (Instance instance : topology.instances()) {
            String status;
            String detail = "";
            if (unreachable.containsKey(instance.host())) {
                status = "Disconnected";
                detail = unreachable.get(instance.host());
            } else {
                InstanceStatus state =
                        byHost.getOrDefault(instance.host(), Map.of()).get(instance.id());
                if (state == null) {
                    status = "Missing";
                    detail = "the agent on %s does not know this instance; deploy again".formatted(instance.host());
                } else {
                    String[] shown = switch (state.state()) {
                        case STOPPED -> new String[] {"Down", ""};
                        case BACKOFF -> new String[] {"Restarting", state.lastExit()};
                        case FAILED -> new String[] {"Failed", state.lastExit()};
                        case RUNNING -> {
                            ProbeResult ready = readiness.get(instance.id());
                            yield new String[] {
                                ready != null && ready.ready() ? "Up" : "Unready", ready == null ? "" : ready.detail()
                            };
                        }
                    };
                    status = shown[0];
                    detail = shown[1];
                }
            }
            views.add(new ClusterView.InstanceView(
                    instance.id(),
                    catalog.tier(instance),
                    instance.host(),
                    instance.mainPort(),
                    List.copyOf(instance.ports().values()),
                    status,
                    instance.deployDir(),
                    instance.dataDir(),
                    status.equals("Up") ? "" : detail));
        }
        return new ClusterView(name, views, endpoints(topology));
    }

    /** How clients reach the cluster: the gateway (or the primary), Prometheus, Alertmanager, etcd. */
    public static Map<String, String> endpoints(Topology topology) {
        Map<String, String> endpoints = new LinkedHashMap<>();
        List<Instance> gateways = topology.instances("haproxy");
        if (!gateways.isEmpty()) {
            Instance gateway = gateways.getFirst();
            endpoints.put("mysql", gateway.host() + ":" + gateway.port("port"));
            endpoints.put("mysql_read", gateway.host() + ":" + gateway.port("read_port"));
        } else {
            topology.instances("mariadb").stream()
                    .filter(MariaDbKind::isPrimary)
                    .findFirst()
                    .ifPresent(primary -> endpoints.put("mysql", primary.id()));
        }
        topology.instances("prometheus").stream()
                .findFirst()
                .ifPresent(prometheus -> endpoints.put("prometheus", prometheus.id()));
        topology.instances("alertmanager").stream()
                .findFirst()
                .ifPresent(alertmanager -> endpoints.put("alertmanager", alertmanager.id()));
        List<Instance> etcd = topology.instances("etcd");
        if (!etcd.isEmpty()) {
            endpoints.put("etcd", etcd.stream().map(Instance::id).collect(Collectors.joining(",")));
        }
        return endpoints;
    }

    private static void waitAll(List<Future<?>> futures) {
        for (Future<?> future : futures) {
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OperationException("INTERRUPTED", "interrupted while asking the agents", e);
            } catch (ExecutionException e) {
                throw new OperationException(
                        "DISPLAY",
                        "cannot read the cluster's status: " + e.getCause().getMessage(),
                        e.getCause());
            }
        }
    }

    private ClusterStore existing(String name) {
        ClusterStore store = home.cluster(name);
        if (!store.exists()) {
            String known = home.clusters().stream().map(ClusterStore::name).collect(Collectors.joining(", "));
            throw new OperationException(
                    "NO_CLUSTER",
                    "cluster '%s' does not exist%s"
                            .formatted(
                                    name,
                                    known.isEmpty()
                                            ? "; deploy one with `flotilla cluster deploy NAME FILE`"
                                            : "; the clusters are: " + known));
        }
        return store;
    }

    private ClusterContext context(ClusterStore store) {
        Topology topology =
                TopologyParser.parse(store.topologyText(), store.topologyFile().toString());
        return context(store, topology, store.meta(), store.secrets());
    }

    private ClusterContext context(ClusterStore store, Topology topology, ClusterMeta meta, ClusterSecrets secrets) {
        return new ClusterContext(
                store.name(),
                topology,
                catalog,
                secrets,
                meta.agentPorts(),
                meta.checkPorts(),
                new Hosts(meta.ssh(), store.dir().resolve("known_hosts")),
                AgentRuntime.current(),
                meta.osUser());
    }

    /**
     * Chooses each host's agent port, the first from {@code agentPortBase} (9760 by default) up that
     * nothing listens on and no instance or other cluster uses, and the next such port for the
     * agent's answers to HAProxy's health checks.
     */
    private ClusterMeta newMeta(
            ClusterStore store, Topology topology, int agentPortBase, SshAccess ssh, boolean probePorts) {
        String name = store.name();
        Map<String, ListeningPorts> listeningByHost = probePorts ? listeningPorts(store, topology, ssh) : Map.of();
        Map<String, Integer> agentPorts = new HashMap<>();
        Map<String, Integer> checkPorts = new HashMap<>();
        for (String host : topology.hosts()) {
            Set<Integer> taken = new HashSet<>();
            topology.instances().stream()
                    .filter(instance -> instance.host().equals(host))
                    .forEach(instance -> taken.addAll(instance.ports().values()));
            for (ClusterStore other : home.clusters()) {
                if (!other.name().equals(name)) {
                    ClusterMeta meta = other.meta();
                    taken.add(meta.agentPorts().getOrDefault(host, 0));
                    taken.add(meta.checkPorts().getOrDefault(host, 0));
                }
            }
            ListeningPorts listening = listeningByHost.getOrDefault(host, ListeningPorts.none());
            int agentPort = freePort(agentPortBase, taken, listening);
            taken.add(agentPort);
            agentPorts.put(host, agentPort);
            checkPorts.put(host, freePort(agentPort + 1, taken, listening));
        }
        return new ClusterMeta(
                name,
                VERSION,
                Instant.now().toString(),
                "deploying",
                agentPorts,
                checkPorts,
                System.getProperty("user.name"),
                ssh);
    }

    /**
     * What listens on each host, asked of every host at once over one pool of connections. It is
     * the first contact with the hosts, so a host that cannot be reached, or whose key is refused,
     * is reported here, with every other such host, before anything is written.
     */
    private static Map<String, ListeningPorts> listeningPorts(ClusterStore store, Topology topology, SshAccess ssh) {
        Map<String, ListeningPorts> listening = new ConcurrentHashMap<>();
        Map<String, RuntimeException> failures = new ConcurrentHashMap<>();
        try (Hosts hosts = new Hosts(ssh, store.dir().resolve("known_hosts"));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String host : topology.hosts()) {
                threads.submit(() -> {
                    try {
                        listening.put(host, ListeningPorts.of(hosts.apply(host)));
                    } catch (RuntimeException e) {
                        failures.put(host, e);
                    }
                });
            }
        }
        if (failures.size() == 1) {
            throw failures.values().iterator().next();
        }
        if (!failures.isEmpty()) {
            OperationException error = new OperationException(
                    "PREFLIGHT",
                    failures.values().stream()
                            .map(RuntimeException::getMessage)
                            .sorted()
                            .collect(Collectors.joining("\n")));
            failures.values().forEach(error::addSuppressed);
            throw error;
        }
        return listening;
    }

    private static int freePort(int from, Set<Integer> taken, ListeningPorts listening) {
        int port = from;
        while (taken.contains(port) || listening.owner(port).isPresent()) {
            port++;
        }
        return port;
    }
}
