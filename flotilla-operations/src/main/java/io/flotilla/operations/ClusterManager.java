package io.flotilla.operations;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentException;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.ClusterSecrets;
import io.flotilla.engine.ClusterLock;
import io.flotilla.engine.ClusterMeta;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.Engine;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.Journal;
import io.flotilla.engine.Operation;
import io.flotilla.engine.SshAccess;
import io.flotilla.exec.CommandResult;
import io.flotilla.plan.ClusterContext;
import io.flotilla.plan.ClusterPlanner;
import io.flotilla.plan.ClusterTls;
import io.flotilla.plan.ScalePlanner;
import io.flotilla.plan.Selection;
import io.flotilla.plan.SwitchoverPlanner;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.OperationName;
import io.flotilla.step.Plan;
import io.flotilla.tls.CertificateAuthority;
import io.flotilla.topology.Instance;
import io.flotilla.topology.ScaleOut;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyConflicts;
import io.flotilla.topology.TopologyException;
import io.flotilla.topology.TopologyParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * The operations on clusters whose hosts are this machine: deploy, start, stop, restart,
 * display, destroy. Each takes the cluster's lock, compiles a plan and runs it journaled.
 */
public final class ClusterManager {
    public static final int DEFAULT_AGENT_PORT = 9760;

    private final FlotillaHome home;
    private final Catalog catalog;
    private final Engine engine;
    private final Operation.ResumeListener resumeListener;
    private final AgentPorts agentPorts;
    private final ClusterContexts contexts;

    public ClusterManager(FlotillaHome home, Catalog catalog, Engine engine, Operation.ResumeListener resumeListener) {
        this.home = requireNonNull(home, "home is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.engine = requireNonNull(engine, "engine is null");
        this.resumeListener = requireNonNull(resumeListener, "resumeListener is null");
        this.agentPorts = new AgentPorts(home);
        this.contexts = new ClusterContexts(home, catalog);
    }

    public FlotillaHome home() {
        return home;
    }

    /** Parses and validates a topology for a new or resumed deploy, against the other clusters too. */
    public Topology checkTopology(String name, Path file, String yaml, SshLogin login) {
        Topology topology = TopologyParser.parse(yaml, file.toString());
        Map<String, Topology> others = otherTopologies(name);
        var conflicts = TopologyConflicts.between(topology, others);
        if (!conflicts.isEmpty()) {
            throw new TopologyException(conflicts);
        }
        topology.hosts().forEach(host -> Hosts.requireReachable(host, login != null));
        return topology;
    }

    /**
     * Compiles what a deploy would run, writing nothing: the bootstrap of the deploy user first when
     * the login is another user (a new cluster only), then the deploy itself.
     */
    public List<Plan> deployPlan(String name, Path file, String yaml, SshLogin login) {
        Topology topology = checkTopology(name, file, yaml, login);
        ClusterStore store = home.cluster(name);
        SshAccess ssh = login == null ? null : HostBootstrap.plannedAccess(store, topology, login);
        ClusterMeta meta = store.exists() ? store.meta() : newMeta(store, topology, DEFAULT_AGENT_PORT, ssh, null);
        ClusterSecrets preview = store.exists() ? store.secrets() : new ClusterSecrets("-", "-", "-");
        List<Plan> plans = new ArrayList<>();
        if (login != null && !store.exists()) {
            HostBootstrap.plannedBootstrap(store, topology, login).ifPresent(plans::add);
        }
        ClusterTls tls = store.exists() ? store.tls() : ClusterTls.none(name);
        plans.add(
                new ClusterPlanner(contexts.of(store, topology, meta, preview, tls, ClusterContexts.hosts(store, meta)))
                        .deploy());
        return plans;
    }

    /**
     * Deploys a cluster. With an SSH {@code login} that is not the topology's deploy user, the other
     * hosts are bootstrapped first (see {@link HostBootstrap}); a deploy that is finishing an earlier
     * one reaches the hosts as that one did.
     */
    public Journal deploy(String name, Path file, String yaml, String command, int agentPortBase, SshLogin login) {
        return deploy(name, checkTopology(name, file, yaml, login), yaml, command, agentPortBase, login);
    }

    /** {@link #deploy} of {@code topology}, which {@link #checkTopology} returned for {@code yaml}: read once. */
    public Journal deploy(
            String name, Topology topology, String yaml, String command, int agentPortBase, SshLogin login) {
        ClusterStore store = home.cluster(name);
        try (ClusterLock ignored = ClusterLock.acquire(store.lockFile(), name, command)) {
            try {
                return deploy(store, topology, yaml, command, agentPortBase, login);
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
            ClusterStore store, Topology topology, String yaml, String command, int agentPortBase, SshLogin login) {
        String name = store.name();
        ClusterMeta meta;
        boolean preflighted = false;
        // The hosts' connections, opened to ask what listens there, carry the pre-flight check and the deploy too.
        Hosts hosts = null;
        if (store.exists()) {
            meta = store.meta();
            if (!meta.status().equals("deploying")) {
                throw new OperationException(
                        ErrorCode.EXISTS,
                        "cluster '%s' is already deployed; start it with `flotilla cluster start %s`, or destroy it first"
                                .formatted(name, name));
            }
            if (!store.topologyText().equals(yaml)) {
                throw new OperationException(
                        ErrorCode.DEPLOY_CHANGED,
                        "cluster '%s' has an unfinished deploy of a different topology (%s); deploy that file again to finish it, or destroy the cluster"
                                .formatted(name, store.topologyFile()));
            }
            if (!anyStepBegan(store, "deploy/agent/")) {
                // A deploy an earlier Flotilla began made the secrets when first needed, and no CA:
                // stopped before any agent was installed, it gets them now.
                if (!store.hasSecrets()) {
                    store.createSecrets();
                }
                store.createCa();
            }
        } else {
            SshAccess ssh = login == null
                    ? null
                    : HostBootstrap.prepare(home, store, topology, login, command, engine, resumeListener);
            hosts = new Hosts(ssh, store.dir().resolve("known_hosts"));
            try {
                if (ssh != null) {
                    HostBootstrap.checkWritable(topology, ssh, hosts, remoteHosts(topology.hosts()));
                }
                meta = newMeta(store, topology, agentPortBase, ssh, hosts);
                new ClusterPlanner(contexts.of(
                                store,
                                topology,
                                meta,
                                new ClusterSecrets("-", "-", "-"),
                                ClusterTls.none(name),
                                hosts::apply))
                        .checkHosts();
                preflighted = true;
                store.createSecrets();
                store.createCa();
                store.writeTopology(yaml);
                store.writeMeta(meta);
            } catch (RuntimeException e) {
                hosts.close();
                throw e;
            }
        }
        ClusterSecrets secrets = store.secrets();
        ClusterContext context =
                contexts.of(store, topology, meta, secrets, hosts == null ? ClusterContexts.hosts(store, meta) : hosts);
        try {
            Journal journal = Operation.run(
                    home, store, new ClusterPlanner(context).deploy(preflighted), command, engine, resumeListener);
            store.writeMeta(meta.withStatus("deployed"));
            return journal;
        } finally {
            context.close();
        }
    }

    public Plan plan(String name, OperationName operation, Selection selection) {
        ClusterStore store = contexts.existing(name);
        ClusterContext context = contexts.of(store);
        try {
            return compile(new ClusterPlanner(context), operation, selection);
        } finally {
            context.close();
        }
    }

    private static Plan compile(ClusterPlanner planner, OperationName operation, Selection selection) {
        return switch (operation) {
            case START -> planner.start(selection);
            case STOP -> planner.stop(selection);
            case RESTART -> planner.restart(selection);
            case RELOAD -> planner.reload(selection);
            case DESTROY -> planner.destroy();
            case BOOTSTRAP, DEPLOY, SCALE_OUT, SCALE_IN, SWITCHOVER, TLS_ROTATE, K8S_APPLY, K8S_SCALE, K8S_DELETE ->
                throw new IllegalArgumentException(
                        "%s is not run on the whole cluster this way; it has its own entry point".formatted(operation));
        };
    }

    public Journal run(String name, OperationName operation, Selection selection, String command) {
        ClusterStore store = contexts.existing(name);
        try (ClusterLock ignored = ClusterLock.acquire(store.lockFile(), name, command)) {
            if (operation != OperationName.DESTROY && store.meta().status().equals("deploying")) {
                throw new OperationException(
                        ErrorCode.NOT_DEPLOYED,
                        "cluster '%s' has an unfinished deploy; run `flotilla cluster deploy %s %s` again to finish it"
                                .formatted(name, name, store.topologyFile()));
            }
            ClusterContext context = contexts.of(store);
            try {
                Plan plan = compile(new ClusterPlanner(context), operation, selection);
                Journal journal = Operation.run(home, store, plan, command, engine, resumeListener);
                if (operation == OperationName.DESTROY) {
                    HostBootstrap.forgetClusterKey(
                            store, context.topology().hosts(), store.meta().ssh());
                    store.delete();
                }
                return journal;
            } finally {
                context.close();
            }
        }
    }

    /**
     * Reads a scale-out file against the cluster: every problem at once, positioned in that file,
     * and the new hosts checked for an SSH login. Changes nothing.
     */
    public ScaleOut checkScaleOut(String name, Path file, String yaml) {
        ClusterStore store = contexts.existing(name);
        Map<String, Topology> others = otherTopologies(name);
        Map<String, Long> running;
        ClusterContext context = contexts.of(store);
        try {
            running = runningServerIds(context);
        } finally {
            context.close();
        }
        ScaleOut scaleOut = ScaleOut.read(
                name, store.topologyText(), store.topologyFile().toString(), yaml, file.toString(), others, running);
        SshAccess ssh = store.meta().ssh();
        scaleOut.added().forEach(instance -> Hosts.requireReachable(instance.host(), ssh != null));
        return scaleOut;
    }

    /** The scale-out plan, for {@code --dry-run}: nothing is written. */
    public Plan scaleOutPlan(String name, Path file, String yaml) {
        ScaleOut scaleOut = checkScaleOut(name, file, yaml);
        ClusterStore store = contexts.existing(name);
        ClusterMeta meta = store.meta();
        Map<String, Integer> agentPorts = new HashMap<>(meta.agentPorts());
        Map<String, Integer> checkPorts = new HashMap<>(meta.checkPorts());
        for (String host : scaleOut.merged().hosts()) {
            agentPorts.putIfAbsent(host, DEFAULT_AGENT_PORT);
            checkPorts.putIfAbsent(host, DEFAULT_AGENT_PORT + 1);
        }
        ClusterContext before =
                contexts.of(store, topology(name), meta.withPorts(agentPorts, checkPorts), store.secrets());
        try {
            return new ScalePlanner(before, before.withTopology(scaleOut.merged())).scaleOut(scaleOut.added());
        } finally {
            before.close();
        }
    }

    /**
     * Adds the instances of a scale-out file. The cluster's topology changes only once every step
     * finished; cut short, the same command finishes it.
     */
    public ScaleOut scaleOut(String name, Path file, String yaml, String command, SshLogin login) {
        ClusterStore store = contexts.existing(name);
        try (ClusterLock ignored = ClusterLock.acquire(store.lockFile(), name, command)) {
            requireDeployed(store);
            ScaleOut scaleOut = checkScaleOut(name, file, yaml);
            Topology topology = topology(name);
            List<String> newHosts = scaleOut.merged().hosts().stream()
                    .filter(host -> !topology.hosts().contains(host) && !Hosts.isLocal(host))
                    .toList();
            if (login != null && !newHosts.isEmpty()) {
                // New hosts get the deploy user and the cluster's key the way deploy gave them to the first ones.
                SshAccess access = HostBootstrap.prepare(
                        home, store, scaleOut.merged(), login, newHosts, command, engine, resumeListener);
                try (Hosts deployHosts = new Hosts(access, store.dir().resolve("known_hosts"))) {
                    HostBootstrap.checkWritable(scaleOut.merged(), access, deployHosts, newHosts);
                }
            }
            ClusterMeta meta = withNewHosts(store, scaleOut.merged());
            ClusterContext before = contexts.of(store, topology, meta, store.secrets());
            try {
                Plan plan = new ScalePlanner(before, before.withTopology(scaleOut.merged())).scaleOut(scaleOut.added());
                Operation.run(home, store, plan, command, engine, resumeListener);
                store.writeTopology(scaleOut.mergedYaml());
                return scaleOut;
            } finally {
                before.close();
            }
        }
    }

    /** The known_hosts file the cluster's hosts were verified against, when it is reached over SSH. */
    public Optional<Path> knownHosts(String name) {
        SshAccess ssh = contexts.existing(name).meta().ssh();
        return ssh == null ? Optional.empty() : Optional.of(Path.of(ssh.knownHosts()));
    }

    /**
     * The instances a scale-in of {@code node} removes, or the reason it is refused. With {@code
     * switchoverTo}, the MariaDB primary may be named: it leaves as a replica once that replica is
     * the primary. Changes nothing.
     */
    public List<Instance> checkScaleIn(String name, String node, String switchoverTo) {
        Topology topology = topology(name);
        if (switchoverTo == null) {
            return ScalePlanner.leaving(catalog, name, topology, node);
        }
        Switchover switchover = switchoverBeforeScaleIn(name, topology, node, switchoverTo);
        if (switchover.done()) {
            return ScalePlanner.leaving(catalog, name, topology, node);
        }
        // Which instances leave does not depend on server ids: none are asked of the agents.
        return ScalePlanner.leaving(catalog, name, swapped(contexts.existing(name), switchover.to(), Map.of()), node);
    }

    /** The plans a scale-in runs, for {@code --dry-run}: a switchover first when one is asked for and still to do. */
    public List<Plan> scaleInPlans(String name, String node, String switchoverTo) {
        ClusterStore store = contexts.existing(name);
        Topology topology = topology(name);
        Optional<Switchover> switchover = switchoverTo == null
                ? Optional.empty()
                : Optional.of(switchoverBeforeScaleIn(name, topology, node, switchoverTo))
                        .filter(each -> !each.done());
        ClusterContext context = contexts.of(store);
        try {
            Map<String, Long> running = runningServerIds(context);
            Topology current =
                    switchover.map(each -> swapped(store, each.to(), running)).orElse(topology);
            String currentYaml = switchover
                    .map(each -> swappedYaml(store, each.to(), running))
                    .orElse(store.topologyText());
            List<Instance> leaving = ScalePlanner.leaving(catalog, name, current, node);
            List<Plan> plans = new ArrayList<>();
            switchover.ifPresent(each -> plans.add(switchoverPlan(context, store, each.to(), running)));
            ClusterContext before = context.withTopology(current);
            Topology after = TopologyParser.parseStored(
                    ScaleOut.without(currentYaml, store.topologyFile().toString(), leaving.getFirst(), running),
                    store.topologyFile().toString());
            plans.add(new ScalePlanner(before, before.withTopology(after)).scaleIn(leaving));
            return plans;
        } finally {
            context.close();
        }
    }

    /**
     * Removes one instance (and, with the last instance of a host, its exporters and agent). The
     * MariaDB primary is switched over to {@code switchoverTo} first (null: refused). The
     * cluster's topology changes only once every step finished; cut short, the same command
     * finishes it.
     */
    public List<Instance> scaleIn(String name, String node, String switchoverTo, String command) {
        ClusterStore store = contexts.existing(name);
        try (ClusterLock ignored = ClusterLock.acquire(store.lockFile(), name, command)) {
            requireDeployed(store);
            if (switchoverTo != null) {
                Switchover switchover = switchoverBeforeScaleIn(name, topology(name), node, switchoverTo);
                if (!switchover.done()) {
                    switchOver(store, switchover.to(), command, SwitchoverPlanner.CATCH_UP_TIMEOUT);
                }
            }
            List<Instance> leaving = ScalePlanner.leaving(catalog, name, topology(name), node);
            ClusterContext before = contexts.of(store);
            try {
                String yaml = ScaleOut.without(
                        store.topologyText(),
                        store.topologyFile().toString(),
                        leaving.getFirst(),
                        runningServerIds(before));
                Topology after =
                        TopologyParser.parseStored(yaml, store.topologyFile().toString());
                Plan plan = new ScalePlanner(before, before.withTopology(after)).scaleIn(leaving);
                Operation.run(home, store, plan, command, engine, resumeListener);
                ClusterMeta meta = store.meta();
                // A host the cluster left no longer lets the cluster's key in, as after destroy.
                List<String> leftHosts = before.topology().hosts().stream()
                        .filter(host -> !after.hosts().contains(host))
                        .toList();
                HostBootstrap.forgetClusterKey(store, leftHosts, meta.ssh());
                Map<String, Integer> agentPorts = new HashMap<>(meta.agentPorts());
                Map<String, Integer> checkPorts = new HashMap<>(meta.checkPorts());
                agentPorts.keySet().retainAll(after.hosts());
                checkPorts.keySet().retainAll(after.hosts());
                store.writeTopology(yaml);
                store.writeMeta(meta.withPorts(agentPorts, checkPorts));
                return leaving;
            } finally {
                before.close();
            }
        }
    }

    /**
     * The switchover a scale-in with {@code --switchover-to} asks for when {@code node} is the
     * primary; done when an earlier run already made {@code switchoverTo} the primary (and {@code
     * node} a replica); refused for any other instance.
     */
    private Switchover switchoverBeforeScaleIn(String name, Topology topology, String node, String switchoverTo) {
        if (switchoverTo.equals(node)) {
            throw new OperationException(
                    ErrorCode.SCALE_IN_REFUSED,
                    "--switchover-to names %s, the instance that leaves; name one of the replicas that stay"
                            .formatted(node));
        }
        Instance to = SwitchoverPlanner.candidate(catalog, name, topology, switchoverTo);
        Instance primary = SwitchoverPlanner.primary(catalog, topology);
        if (primary.id().equals(node)) {
            return new Switchover(primary, to, false);
        }
        boolean replica =
                catalog.replicated(topology).stream().anyMatch(each -> each.id().equals(node));
        if (replica && primary.equals(to)) {
            return new Switchover(primary, to, true);
        }
        throw new OperationException(
                ErrorCode.SCALE_IN_REFUSED,
                "--switchover-to is only for removing the %s primary of cluster '%s', %s; remove %s without it"
                        .formatted(catalog.replicatedName(topology), name, primary.id(), node));
    }

    /**
     * The switchover {@code node} asks for, or the reason it is refused: {@code done} when it is the
     * primary already. Changes nothing.
     */
    public Switchover checkSwitchover(String name, String node) {
        Topology topology = topology(name);
        return new Switchover(
                SwitchoverPlanner.primary(catalog, topology),
                SwitchoverPlanner.candidate(catalog, name, topology, node),
                SwitchoverPlanner.primary(catalog, topology).id().equals(node));
    }

    /** The switchover plan, for {@code --dry-run}: nothing is written. */
    public Plan switchoverPlan(String name, String node) {
        ClusterStore store = contexts.existing(name);
        Switchover switchover = checkSwitchover(name, node);
        if (switchover.done()) {
            return Plan.builder(OperationName.SWITCHOVER, name).build();
        }
        ClusterContext context = contexts.of(store);
        try {
            return switchoverPlan(context, store, switchover.to(), runningServerIds(context));
        } finally {
            context.close();
        }
    }

    /**
     * Makes the replica {@code node} the MariaDB primary, planned: the old primary is fenced, the
     * candidate catches up and is promoted, every other MariaDB instance replicates from it and the
     * gateway sends writes to it. The topology changes (roles swapped) only once every step
     * finished; cut short, the same command finishes it.
     */
    public Switchover switchover(String name, String node, Duration catchUpTimeout, String command) {
        ClusterStore store = contexts.existing(name);
        try (ClusterLock ignored = ClusterLock.acquire(store.lockFile(), name, command)) {
            requireDeployed(store);
            Switchover switchover = checkSwitchover(name, node);
            if (!switchover.done()) {
                switchOver(store, switchover.to(), command, catchUpTimeout);
            }
            return switchover;
        }
    }

    /** Runs the switchover to {@code to} while the caller holds the lock, then stores the new roles. */
    private void switchOver(ClusterStore store, Instance to, String command, Duration catchUpTimeout) {
        ClusterContext context = contexts.of(store);
        try {
            Map<String, Long> running = runningServerIds(context);
            try (SwitchoverPlanner planner = new SwitchoverPlanner(
                    context, context.withTopology(swapped(store, to, running)), to, catchUpTimeout)) {
                Operation.run(home, store, planner.switchover(), command, engine, resumeListener);
                store.writeTopology(swappedYaml(store, to, running));
            }
        } finally {
            context.close();
        }
    }

    private static Plan switchoverPlan(
            ClusterContext before, ClusterStore store, Instance to, Map<String, Long> running) {
        return new SwitchoverPlanner(
                        before,
                        before.withTopology(swapped(store, to, running)),
                        to,
                        SwitchoverPlanner.CATCH_UP_TIMEOUT)
                .switchover();
    }

    private static String swappedYaml(ClusterStore store, Instance to, Map<String, Long> running) {
        return ScaleOut.withPrimary(store.topologyText(), store.topologyFile().toString(), to, running);
    }

    private static Topology swapped(ClusterStore store, Instance to, Map<String, Long> running) {
        return TopologyParser.parseStored(
                swappedYaml(store, to, running), store.topologyFile().toString());
    }

    /**
     * The server_id each MariaDB instance of the cluster runs with, asked of the agents side by
     * side, for the ids the stored topology pins (see {@link ScaleOut#read}). An instance that is
     * not running, or whose agent does not answer, is left out: its stored or placement id stands.
     */
    private static Map<String, Long> runningServerIds(ClusterContext context) {
        List<Instance> mariadb = context.topology().instances("mariadb");
        Map<String, Long> ids = new ConcurrentHashMap<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Instance instance : mariadb) {
                threads.submit(() -> {
                    try {
                        long id = context.agent(instance.host())
                                .details(instance.id())
                                .serverId();
                        if (id > 0) {
                            ids.put(instance.id(), id);
                        }
                    } catch (AgentException | OperationException ignored) {
                        // not running, or its agent is unreachable or has no CA yet: nothing is known
                    }
                });
            }
        }
        return Map.copyOf(ids);
    }

    /**
     * Whether any journal of the cluster has a step whose id starts with {@code prefix} begun: an
     * earlier attempt of a plan that changed since is archived next to the current one.
     */
    private static boolean anyStepBegan(ClusterStore store, String prefix) {
        Path journals = store.journalDir();
        if (!Files.isDirectory(journals)) {
            return false;
        }
        try (Stream<Path> files = Files.list(journals)) {
            for (Path journal : files.filter(
                            file -> file.getFileName().toString().endsWith(".jsonl"))
                    .toList()) {
                if (Journal.events(journal).stream()
                        .anyMatch(event -> event.path("step").asString("").startsWith(prefix))) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return true; // unknown: the secrets are not made, and the deploy says they are missing
        }
    }

    private static void requireDeployed(ClusterStore store) {
        if (store.meta().status().equals("deploying")) {
            throw new OperationException(
                    ErrorCode.NOT_DEPLOYED,
                    "cluster '%s' has an unfinished deploy; run `flotilla cluster deploy %s %s` again to finish it"
                            .formatted(store.name(), store.name(), store.topologyFile()));
        }
    }

    /**
     * The cluster's state with agent ports chosen for hosts new to it, kept at once so that a
     * scale-out cut short finds its agents where it put them. A host that already has ports keeps them.
     */
    private ClusterMeta withNewHosts(ClusterStore store, Topology merged) {
        ClusterMeta meta = store.meta();
        List<String> fresh = merged.hosts().stream()
                .filter(host -> !meta.agentPorts().containsKey(host))
                .toList();
        if (fresh.isEmpty()) {
            return meta;
        }
        ClusterMeta probe;
        try (Hosts hosts = new Hosts(meta.ssh(), store.dir().resolve("known_hosts"))) {
            probe = agentPorts.newMeta(store, merged, DEFAULT_AGENT_PORT, meta.ssh(), hosts, fresh);
        }
        Map<String, Integer> agentPorts = new HashMap<>(meta.agentPorts());
        Map<String, Integer> checkPorts = new HashMap<>(meta.checkPorts());
        for (String host : fresh) {
            agentPorts.put(host, probe.agentPorts().get(host));
            checkPorts.put(host, probe.checkPorts().get(host));
        }
        ClusterMeta updated = meta.withPorts(agentPorts, checkPorts);
        store.writeMeta(updated);
        return updated;
    }

    /**
     * Gives every agent of the cluster a certificate of a new CA and then makes it the cluster's CA
     * (see {@link ClusterPlanner#rotateTls}). Over the hosts' executors, not the agents' API, so that it
     * also serves a cluster deployed before agents had TLS, or one whose CA is lost. The instances keep
     * running. Cut short, the same command finishes it with the same new CA.
     *
     * @return the new CA's id
     */
    public String rotateTls(String name, String command) {
        ClusterStore store = contexts.existing(name);
        try (ClusterLock ignored = ClusterLock.acquire(store.lockFile(), name, command)) {
            CertificateAuthority next = store.nextCa();
            ClusterContext context = rotationContext(store, ClusterTls.of(name, next));
            try {
                Plan plan = new ClusterPlanner(context).rotateTls(next.id(), store::replaceCa);
                Operation.run(home, store, plan, command, engine, resumeListener);
                return next.id();
            } finally {
                context.close();
            }
        }
    }

    /** The plan of {@link #rotateTls}, for {@code --dry-run}: no CA is made. */
    public Plan rotateTlsPlan(String name) {
        ClusterStore store = contexts.existing(name);
        ClusterContext context = rotationContext(store, ClusterTls.none(name));
        try {
            return new ClusterPlanner(context).rotateTls("new", () -> {});
        } finally {
            context.close();
        }
    }

    private ClusterContext rotationContext(ClusterStore store, ClusterTls tls) {
        Topology topology = TopologyParser.parseStored(
                store.topologyText(), store.topologyFile().toString());
        ClusterMeta meta = store.meta();
        return contexts.of(store, topology, meta, store.secrets(), tls, ClusterContexts.hosts(store, meta));
    }

    public ClusterSecrets secrets(String name) {
        return contexts.existing(name).secrets();
    }

    /**
     * Runs a shell command on hosts of the cluster side by side (all of them when {@code hosts} is
     * empty), see {@link HostCommands#run}.
     */
    public Map<String, CommandResult> exec(String name, String command, Set<String> hosts, Duration timeout) {
        ClusterStore store = contexts.existing(name);
        return HostCommands.run(store, topology(name), command, hosts, timeout);
    }

    public List<ClusterStore> list() {
        return home.clusters();
    }

    public Topology topology(String name) {
        ClusterStore store = contexts.existing(name);
        return TopologyParser.parseStored(
                store.topologyText(), store.topologyFile().toString());
    }

    /** The status of every instance, asked of the agents in parallel; an unreachable agent's instances are Disconnected. */
    public ClusterView display(String name) {
        ClusterContext context = contexts.of(contexts.existing(name));
        try {
            return new ClusterDisplay(catalog).view(context);
        } finally {
            context.close();
        }
    }

    private ClusterMeta newMeta(ClusterStore store, Topology topology, int agentPortBase, SshAccess ssh, Hosts hosts) {
        return agentPorts.newMeta(store, topology, agentPortBase, ssh, hosts, List.copyOf(topology.hosts()));
    }

    private static List<String> remoteHosts(Collection<String> hosts) {
        return hosts.stream().filter(host -> !Hosts.isLocal(host)).toList();
    }

    /** The topologies of every other cluster of this home, for the checks that a new one does not clash with them. */
    /**
     * The other clusters' topologies, which new instances must not share a port or a dir with. One
     * that cannot be read stops the deploy or scale-out, saying why: its ports and dirs are unknown,
     * and Flotilla does not deploy over what may be another cluster's.
     */
    private Map<String, Topology> otherTopologies(String name) {
        Map<String, Topology> others = new LinkedHashMap<>();
        for (ClusterStore other : home.clusters()) {
            if (other.name().equals(name)) {
                continue;
            }
            try {
                others.put(
                        other.name(),
                        TopologyParser.parseStored(
                                other.topologyText(), other.topologyFile().toString()));
            } catch (OperationException | TopologyException e) {
                throw new OperationException(
                        ErrorCode.STATE_DAMAGED,
                        ("cannot check the new instances against cluster '%s', whose ports and dirs they must not"
                                        + " share: %s")
                                .formatted(
                                        other.name(),
                                        e.getMessage().lines().findFirst().orElse("")));
            }
        }
        return others;
    }
}
