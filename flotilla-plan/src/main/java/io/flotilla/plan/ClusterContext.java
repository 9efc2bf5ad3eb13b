package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.ClusterAccess;
import io.flotilla.catalog.ClusterSecrets;
import io.flotilla.catalog.ComponentKind;
import io.flotilla.catalog.InstanceContext;
import io.flotilla.exec.Executor;
import io.flotilla.topology.ComponentSource;
import io.flotilla.topology.HostPort;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A cluster as an operation sees it: its topology and secrets, and the means to reach its hosts
 * (an executor per host) and their agents.
 */
public final class ClusterContext implements ClusterAccess {
    private static final Duration AGENT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Agents are on the same network: a connect answers in milliseconds, and 5 s covers two
     * SYN retransmits. A host that is cut off is then reported (and shown Disconnected) in 5 s
     * rather than the full request timeout.
     */
    private static final Duration AGENT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final String name;
    private final Topology topology;
    private final Catalog catalog;
    private final ClusterSecrets secrets;
    private final ClusterTls tls;
    private final Map<String, Integer> agentPorts;
    private final Map<String, Integer> checkPorts;
    private final Function<String, Executor> executorFactory;
    private final AgentRuntime agentRuntime;
    private final String osUser;
    private final String createdAt;
    private final InstanceDirs dirs;
    private final Map<String, Executor> executors = new ConcurrentHashMap<>();
    private final Map<String, AgentClient> agents = new ConcurrentHashMap<>();
    private final Map<String, SourceTarball> tarballs = new ConcurrentHashMap<>();

    public ClusterContext(
            String name,
            Topology topology,
            Catalog catalog,
            ClusterSecrets secrets,
            ClusterTls tls,
            Map<String, Integer> agentPorts,
            Map<String, Integer> checkPorts,
            Function<String, Executor> executorFactory,
            AgentRuntime agentRuntime,
            String osUser,
            String createdAt) {
        this.name = requireNonNull(name, "name is null");
        this.topology = requireNonNull(topology, "topology is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.tls = requireNonNull(tls, "tls is null");
        this.agentPorts = Map.copyOf(agentPorts);
        this.checkPorts = Map.copyOf(checkPorts);
        this.executorFactory = requireNonNull(executorFactory, "executorFactory is null");
        this.agentRuntime = requireNonNull(agentRuntime, "agentRuntime is null");
        this.osUser = requireNonNull(osUser, "osUser is null");
        this.createdAt = requireNonNull(createdAt, "createdAt is null");
        this.dirs = new InstanceDirs(name, createdAt);
    }

    /**
     * The same cluster with another topology (the one a scale-out or scale-in leads to), reaching
     * its hosts over the same connections. Closing this context closes them; closing the other does not.
     */
    public ClusterContext withTopology(Topology other) {
        return new ClusterContext(
                name,
                other,
                catalog,
                secrets,
                tls,
                agentPorts,
                checkPorts,
                this::executor,
                agentRuntime,
                osUser,
                createdAt);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Topology topology() {
        return topology;
    }

    public Catalog catalog() {
        return catalog;
    }

    @Override
    public ClusterSecrets secrets() {
        return secrets;
    }

    /** How the cluster's agents are trusted, and the CA that issues their certificates. */
    public ClusterTls tls() {
        return tls;
    }

    /** The instances' dirs on their hosts, and the marker that says they are this cluster's. */
    InstanceDirs dirs() {
        return dirs;
    }

    @Override
    public void emptyDir(Instance instance, String dir) {
        Executor executor = executor(instance.host());
        dirs.claim(executor, instance);
        dirs.empty(executor, instance, dir);
    }

    public AgentRuntime agentRuntime() {
        return agentRuntime;
    }

    @Override
    public Executor executor(String host) {
        return executors.computeIfAbsent(host, executorFactory);
    }

    public int agentPort(String host) {
        Integer port = agentPorts.get(host);
        if (port == null) {
            throw new IllegalStateException("no agent port was chosen for host " + host);
        }
        return port;
    }

    /** Where the host's agent answers HAProxy's agent-check, when a port was chosen for it. */
    public java.util.Optional<String> checkAddress(String host) {
        return java.util.Optional.ofNullable(checkPorts.get(host)).map(port -> HostPort.of(host, port));
    }

    public String agentAddress(String host) {
        return HostPort.of(host, agentPort(host));
    }

    /**
     * The client of the host's agent, over TLS that trusts the cluster's CA alone.
     *
     * @throws io.flotilla.step.OperationException with {@code NO_TLS} for a cluster that has no CA yet
     */
    @Override
    public AgentClient agent(String host) {
        return agents.computeIfAbsent(
                host,
                ignored -> new AgentClient(
                        agentUri(host), secrets.agentToken(), tls.context(), AGENT_CONNECT_TIMEOUT, AGENT_TIMEOUT));
    }

    private URI agentUri(String host) {
        return URI.create("https://" + agentAddress(host));
    }

    /** The agent's home on a host: beside the instances, under the global deploy dir. */
    public Path agentDir(String host) {
        return agentDir(topology, name);
    }

    /** The folder of cluster {@code name}'s agent on each host of {@code topology}. */
    public static Path agentDir(Topology topology, String name) {
        String deploy = topology.global().deployDir();
        Path root = deploy.startsWith("/")
                ? Path.of(deploy)
                : Path.of("/home", topology.global().user(), deploy);
        return root.resolve("flotilla-agent-" + name);
    }

    public ComponentKind kind(Instance instance) {
        return catalog.kind(instance);
    }

    @Override
    public InstanceContext instanceContext(Instance instance) {
        return new InstanceContext(name, topology, instance, agentDir(instance.host()), osUser, checkPorts);
    }

    /**
     * The checked tarball of a component whose binaries come from a tarball or a mirror, fetched once
     * per operation; empty for a system package.
     */
    public Optional<SourceTarball> tarball(String component) {
        if (topology.componentSource(component) instanceof ComponentSource.System) {
            return Optional.empty();
        }
        return Optional.of(tarballs.computeIfAbsent(
                component,
                ignored -> SourceTarball.fetch(
                        topology,
                        component,
                        defaultBinary(catalog.kind(component)),
                        topology.global().arch(),
                        agentRuntime.cache())));
    }

    /** The program of a component from a tarball: where the topology says, else named as the package names it. */
    private String tarballBinary(String component) {
        return switch (topology.componentSource(component)) {
            case ComponentSource.Tarball tarball when !tarball.binary().isEmpty() -> tarball.binary();
            default -> defaultBinary(catalog.kind(component));
        };
    }

    private static String defaultBinary(ComponentKind kind) {
        return Path.of(kind.binary()).getFileName().toString();
    }

    /** An instance's command line; a component from a tarball runs from its own {@code <deploy_dir>/bin}. */
    private List<String> commandLine(Instance instance, ComponentKind kind, InstanceContext context) {
        List<String> command = kind.commandLine(context);
        if (topology.componentSource(instance.component()) instanceof ComponentSource.System
                || !command.getFirst().equals(kind.binary())) {
            return command;
        }
        List<String> fromTarball = new ArrayList<>(command);
        fromTarball.set(
                0,
                Path.of(instance.deployDir(), "bin", tarballBinary(instance.component()))
                        .toString());
        return fromTarball;
    }

    public InstanceSpec spec(Instance instance) {
        ComponentKind kind = kind(instance);
        InstanceContext context = instanceContext(instance);
        List<String> dirs = new ArrayList<>();
        if (instance.dataDir() != null) {
            dirs.add(instance.dataDir());
        }
        dirs.add(instance.logDir());
        return new InstanceSpec(
                instance.id(),
                instance.component(),
                commandLine(instance, kind, context),
                Map.of(),
                instance.deployDir(),
                logFile(instance),
                kind.readiness(context),
                kind.stopTimeoutSeconds(),
                List.copyOf(instance.ports().values()),
                dirs,
                kind.binaryPackage(),
                kind.logFiles(context),
                kind.sqlAdmin(context).orElse(null));
    }

    /** Where an instance's output goes. */
    public static String logFile(Instance instance) {
        return Path.of(instance.logDir(), instance.component() + ".log").toString();
    }

    /** Releases pooled connections to hosts and agents. */
    public void close() {
        agents.values().forEach(AgentClient::close);
        agents.clear();
        executors.values().forEach(Executor::close);
        if (executorFactory instanceof AutoCloseable pool) {
            try {
                pool.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot close the connections to the hosts: " + e.getMessage(), e);
            }
        }
    }
}
