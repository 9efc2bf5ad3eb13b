package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.catalog.Bootstrap;
import io.flotilla.catalog.ComponentKind;
import io.flotilla.catalog.EtcdKind;
import io.flotilla.catalog.InstanceContext;
import io.flotilla.catalog.MariaDbKind;
import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.exec.ListeningPorts;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.wait.Wait;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Compiles scale-out and scale-in. It sees the cluster twice: as it is ({@code before}) and as the
 * operation leaves it ({@code after}); new instances are deployed and started with the second,
 * leaving ones stopped and removed with the first, and the instances that stay and read the
 * others from their configuration (the gateway, Prometheus) are rewritten from the second and
 * reloaded in place, never restarted.
 *
 * <p>A new MariaDB replica is cloned from the primary with {@code mariadb-backup}: the backup
 * streams from the primary's host over its SSH session into a 0600 file on this machine, then over
 * the new host's session into {@code mbstream}, so the hosts need no trust in each other and the
 * primary need not keep its binary logs from the start.
 */
public final class ScalePlanner {
    private static final Duration CLONE_TIMEOUT = Duration.ofHours(2);
    private static final Duration RELOAD_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration RELOAD_POLL = Duration.ofMillis(200);
    private static final Duration ETCD_RETRY = Duration.ofSeconds(1);

    private final ClusterContext before;
    private final ClusterContext after;
    private final ClusterPlanner beforePlanner;
    private final ClusterPlanner afterPlanner;

    public ScalePlanner(ClusterContext before, ClusterContext after) {
        this.before = requireNonNull(before, "before is null");
        this.after = requireNonNull(after, "after is null");
        this.beforePlanner = new ClusterPlanner(before);
        this.afterPlanner = new ClusterPlanner(after);
    }

    /** Adds {@code added} (instances of the {@code after} topology): agents on new hosts, clones, starts, reloads. */
    public Plan scaleOut(List<Instance> added) {
        Set<String> oldHosts = before.topology().hosts();
        List<String> newHosts = added.stream()
                .map(Instance::host)
                .distinct()
                .filter(host -> !oldHosts.contains(host))
                .toList();
        List<String> hosts = added.stream().map(Instance::host).distinct().toList();
        Plan.Builder plan = Plan.builder("scale-out", after.name());
        plan.then(Step.parallel(
                "Check hosts",
                hosts.stream()
                        .map(host -> Step.action(
                                "scale-out/check/" + host,
                                "check %s".formatted(host),
                                host,
                                () -> checkHost(host, added, oldHosts.contains(host))))
                        .toList()));
        if (!newHosts.isEmpty()) {
            plan.then(Step.parallel(
                    "Install agents",
                    newHosts.stream().map(afterPlanner::prepareHost).toList()));
            plan.then(Step.parallel(
                    "Start agents",
                    newHosts.stream()
                            .map(host -> (Step) Step.action(
                                    "scale-out/start-agent/" + host,
                                    "start agent on " + host,
                                    host,
                                    () -> afterPlanner.startAgent(host)))
                            .toList()));
        }
        List<Step> reach = oldHosts.stream()
                .filter(hosts::contains)
                .map(host -> (Step) Step.action(
                        "scale-out/reach-agent/" + host,
                        "reach agent on " + host,
                        host,
                        () -> afterPlanner.startAgent(host)))
                .toList();
        if (!reach.isEmpty()) {
            plan.then(Step.parallel("Reach agents", reach));
        }
        List<Instance> replicas = added.stream().filter(this::isReplica).toList();
        if (!replicas.isEmpty()) {
            plan.then(Step.parallel(
                    "Clone replicas from the primary",
                    replicas.stream().map(this::cloneReplica).toList()));
        }
        plan.then(Step.parallel(
                "Deploy instances",
                added.stream().map(afterPlanner::deployInstance).toList()));
        plan.then(Step.parallel(
                "Hand the instances to their agents",
                added.stream().map(afterPlanner::registerInstance).toList()));
        for (List<String> layer : after.catalog().startLayers(after.topology())) {
            List<Step> tiers = new ArrayList<>();
            for (String tier : layer) {
                List<Instance> starting = after.catalog().instancesOf(after.topology(), tier).stream()
                        .filter(added::contains)
                        .toList();
                if (starting.isEmpty()) {
                    continue;
                }
                if (tier.equals("etcd") && !before.topology().instances("etcd").isEmpty()) {
                    tiers.add(joinEtcdMembers(starting));
                    continue;
                }
                tiers.add(Step.serial(
                        "Start " + tier,
                        List.of(
                                Step.parallel(
                                        "launch " + tier,
                                        starting.stream()
                                                .map(afterPlanner::launch)
                                                .toList()),
                                Step.parallel(
                                        "wait for " + tier,
                                        starting.stream()
                                                .map(instance -> isReplica(instance)
                                                        ? awaitClone(instance)
                                                        : afterPlanner.awaitReady(instance))
                                                .toList()))));
            }
            if (!tiers.isEmpty()) {
                plan.then(Step.parallel("Start " + String.join(", ", layer), tiers));
            }
        }
        List<Step> reloads = reloads("scale-out", added, List.of());
        if (!reloads.isEmpty()) {
            plan.then(Step.parallel("Reload gateway and monitoring", reloads));
        }
        return plan.build();
    }

    /**
     * Removes {@code leaving} (instances of the {@code before} topology: one declared instance, and
     * the exporters of its host when it was the host's last): out of the gateway and monitoring
     * first, out of etcd's membership, then stopped, its directories removed, and the agent of a
     * host left empty removed.
     */
    public Plan scaleIn(List<Instance> leaving) {
        Plan.Builder plan = Plan.builder("scale-in", before.name());
        List<String> hosts = leaving.stream().map(Instance::host).distinct().toList();
        plan.then(Step.parallel(
                "Reach agents",
                hosts.stream()
                        .map(host -> Step.action(
                                "scale-in/reach-agent/" + host,
                                "reach agent on " + host,
                                host,
                                () -> beforePlanner.startAgent(host)))
                        .toList()));
        List<Step> reloads = reloads("scale-in", List.of(), leaving);
        if (!reloads.isEmpty()) {
            plan.then(Step.parallel("Reload gateway and monitoring", reloads));
        }
        for (Instance instance : leaving) {
            if (instance.component().equals("etcd")) {
                plan.then(Step.action(
                        "scale-in/etcd-member/" + instance.id(),
                        "remove etcd member %s".formatted(EtcdKind.memberName(instance)),
                        instance.host(),
                        () -> removeEtcdMember(instance)));
            }
        }
        plan.then(Step.parallel(
                "Stop instances",
                leaving.stream()
                        .map(instance -> Step.action(
                                "scale-in/stop/" + instance.id(),
                                "stop %s %s".formatted(instance.component(), instance.id()),
                                instance.host(),
                                () -> beforePlanner.stopInstance("destroy", instance)))
                        .toList()));
        plan.then(Step.parallel(
                "Remove instances",
                leaving.stream()
                        .map(instance -> Step.action(
                                "scale-in/remove/" + instance.id(),
                                "remove %s %s".formatted(instance.component(), instance.id()),
                                instance.host(),
                                () -> beforePlanner.removeInstance(instance)))
                        .toList()));
        Set<String> remaining = after.topology().hosts();
        List<String> emptied =
                hosts.stream().filter(host -> !remaining.contains(host)).toList();
        if (!emptied.isEmpty()) {
            plan.then(Step.parallel(
                    "Remove agents",
                    emptied.stream()
                            .map(host -> Step.action(
                                    "scale-in/remove-agent/" + host,
                                    "remove agent on " + host,
                                    host,
                                    () -> beforePlanner.removeAgent(host)))
                            .toList()));
        }
        return plan.build();
    }

    /**
     * Refuses a scale-in that would break the cluster, with the reason and what to do instead.
     *
     * @return the instances that leave: the one named and, when it is the last of its host, the host's exporters
     */
    public static List<Instance> leaving(String cluster, Topology topology, String node) {
        Instance instance = topology.instances().stream()
                .filter(each -> each.id().equals(node))
                .filter(each -> !isExporter(each))
                .findFirst()
                .orElseThrow(() -> {
                    if (topology.instances().stream().anyMatch(each -> each.id().equals(node))) {
                        return new OperationException(
                                ErrorCode.SCALE_IN_REFUSED,
                                "%s is an exporter, which runs on every host of cluster '%s'; it leaves with the last instance of its host"
                                        .formatted(node, cluster));
                    }
                    return new OperationException(
                            ErrorCode.BAD_SELECTION,
                            "%s is not an instance of cluster '%s'; its instances are %s"
                                    .formatted(
                                            node,
                                            cluster,
                                            topology.instances().stream()
                                                    .filter(each -> !isExporter(each))
                                                    .map(Instance::id)
                                                    .collect(Collectors.joining(", "))));
                });
        switch (instance.component()) {
            case "mariadb" -> {
                if (MariaDbKind.isPrimary(instance)) {
                    throw new OperationException(
                            ErrorCode.SCALE_IN_REFUSED,
                            "%s is the MariaDB primary of cluster '%s': every write goes to it. Switch it over to a replica as it leaves with --switchover-to HOST:PORT (%s), or first with `flotilla cluster switchover %s --to HOST:PORT`"
                                    .formatted(instance.id(), cluster, replicaChoices(topology), cluster));
                }
            }
            case "etcd" -> {
                if (topology.instances("etcd").size() == 1) {
                    throw new OperationException(
                            ErrorCode.SCALE_IN_REFUSED,
                            "%s is the last etcd member of cluster '%s'; etcd would lose its data with it. Add another member first, or destroy the cluster"
                                    .formatted(instance.id(), cluster));
                }
            }
            case "haproxy" -> {
                if (topology.instances("haproxy").size() == 1
                        && !topology.instances("mariadb").isEmpty()) {
                    throw new OperationException(
                            ErrorCode.SCALE_IN_REFUSED,
                            "%s is the only gateway of cluster '%s': clients reach MariaDB through it. Scale out another haproxy instance first"
                                    .formatted(instance.id(), cluster));
                }
            }
            default -> {}
        }
        List<Instance> leaving = new ArrayList<>(List.of(instance));
        boolean last = topology.instances().stream()
                .filter(each -> each.host().equals(instance.host()))
                .allMatch(each -> each.equals(instance) || isExporter(each));
        if (last) {
            topology.instances().stream()
                    .filter(each -> each.host().equals(instance.host()) && isExporter(each))
                    .forEach(leaving::add);
        }
        return List.copyOf(leaving);
    }

    private static String replicaChoices(Topology topology) {
        List<String> replicas = topology.instances("mariadb").stream()
                .filter(each -> !MariaDbKind.isPrimary(each))
                .map(Instance::id)
                .toList();
        return replicas.isEmpty()
                ? "the cluster has no replica: scale out one first"
                : "its replicas: " + String.join(", ", replicas);
    }

    private static boolean isExporter(Instance instance) {
        return instance.component().equals("node_exporter")
                || instance.component().equals("blackbox_exporter");
    }

    private boolean isReplica(Instance instance) {
        return instance.component().equals("mariadb") && !MariaDbKind.isPrimary(instance);
    }

    /** The binaries are there, and no port of a new instance is taken on its host. */
    private void checkHost(String host, List<Instance> added, boolean known) {
        if (!known) {
            afterPlanner.preflight(host);
            return;
        }
        Executor executor = after.executor(host);
        List<String> problems = new ArrayList<>();
        ListeningPorts listening = ListeningPorts.of(executor);
        Set<String> checked = new HashSet<>();
        for (Instance instance : added) {
            if (instance.host().equals(host)) {
                afterPlanner.checkProgram(executor, instance, checked, problems);
                ClusterPlanner.checkPorts(listening, instance, problems);
            }
        }
        if (!problems.isEmpty()) {
            throw new OperationException(
                    ErrorCode.PREFLIGHT,
                    "host %s is not ready for the new instances:\n  %s".formatted(host, String.join("\n  ", problems)));
        }
    }

    private Instance primary() {
        return after.topology().instances("mariadb").stream()
                .filter(MariaDbKind::isPrimary)
                .findFirst()
                .orElseThrow(() -> new OperationException(ErrorCode.NO_PRIMARY, "the cluster has no MariaDB primary"));
    }

    /**
     * Fills the replica's data dir with a backup of the running primary, prepared. The bootstrap
     * marker is written last: a clone cut short is started again from an empty dir.
     */
    private Step.Action cloneReplica(Instance replica) {
        Instance primary = primary();
        return Step.action(
                "scale-out/clone/" + replica.id(),
                "clone %s from %s".formatted(replica.id(), primary.id()),
                replica.host(),
                () -> {
                    MariaDbKind kind = (MariaDbKind) after.kind(replica);
                    InstanceContext context = after.instanceContext(replica);
                    Bootstrap bootstrap = kind.bootstrap(context, after.secrets())
                            .orElseThrow(() -> new IllegalStateException("MariaDB always has a bootstrap"));
                    Executor target = after.executor(replica.host());
                    if (target.exists(bootstrap.marker())) {
                        return;
                    }
                    String dataDir = context.dataDir().toString();
                    target.remove(dataDir);
                    target.mkdirs(dataDir, "0750");
                    copyBackup(kind, primary, replica, dataDir);
                    check(target, replica, MariaDbKind.prepareCommand(dataDir), CLONE_TIMEOUT, "preparing the backup");
                    check(
                            target,
                            replica,
                            List.of("chown", "-R", context.osUser(), dataDir),
                            COMMAND_TIMEOUT,
                            "giving the data to " + context.osUser());
                    target.put(bootstrap.marker(), new byte[0], "0644");
                });
    }

    private void copyBackup(MariaDbKind kind, Instance primary, Instance replica, String dataDir) throws IOException {
        InstanceContext source = after.instanceContext(primary);
        Executor from = after.executor(primary.host());
        Executor to = after.executor(replica.host());
        String options = source.deployDir().resolve("tmp/flotilla-backup.cnf").toString();
        String scratch = source.deployDir().resolve("tmp/flotilla-backup").toString();
        // One name per cluster and replica: a run cut short leaves it behind, and the next run removes it first.
        Path staged = Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("flotilla-clone-%s-%s.mbstream"
                        .formatted(after.name(), replica.id().replaceAll("[^A-Za-z0-9.-]", "_")));
        Files.deleteIfExists(staged);
        Files.createFile(staged, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            from.remove(scratch);
            from.mkdirs(scratch, "0700");
            from.put(options, kind.backupOptions(source, after.secrets()).getBytes(StandardCharsets.UTF_8), "0600");
            CommandResult backup;
            try (OutputStream out = Files.newOutputStream(staged)) {
                backup = from.stream(
                        MariaDbKind.backupCommand(options, scratch), InputStream.nullInputStream(), out, CLONE_TIMEOUT);
            }
            if (!backup.succeeded()) {
                throw cloneFailure(replica, "mariadb-backup on %s".formatted(primary.host()), backup);
            }
            CommandResult unpack;
            try (InputStream in = Files.newInputStream(staged)) {
                unpack = to.stream(
                        MariaDbKind.unpackCommand(dataDir), in, OutputStream.nullOutputStream(), CLONE_TIMEOUT);
            }
            if (!unpack.succeeded()) {
                throw cloneFailure(replica, "mbstream on %s".formatted(replica.host()), unpack);
            }
        } finally {
            Files.deleteIfExists(staged);
            from.remove(options);
            from.remove(scratch);
        }
    }

    private static OperationException cloneFailure(Instance replica, String what, CommandResult result) {
        return new OperationException(
                ErrorCode.CLONE,
                "cloning %s failed: %s exited with %d:\n    %s"
                        .formatted(
                                replica.id(),
                                what,
                                result.exitCode(),
                                Executor.lastLines(result.stderr().strip(), 20).replace("\n", "\n    ")));
    }

    private static void check(
            Executor executor, Instance instance, List<String> command, Duration timeout, String what) {
        CommandResult result = executor.run(command, timeout);
        if (!result.succeeded()) {
            String output = (result.stdout() + "\n" + result.stderr()).strip();
            throw new OperationException(
                    ErrorCode.CLONE,
                    "%s %s: %s failed (%s exited with %d):\n    %s"
                            .formatted(
                                    instance.component(),
                                    instance.id(),
                                    what,
                                    command.getFirst(),
                                    result.exitCode(),
                                    Executor.lastLines(output, 20).replace("\n", "\n    ")));
        }
    }

    /** A cloned replica starts replicating at the backup's GTID position, then is ready like any replica. */
    private Step.Action awaitClone(Instance replica) {
        return Step.action(
                "scale-out/ready/" + replica.id(),
                "wait for %s %s".formatted(replica.component(), replica.id()),
                replica.host(),
                () -> {
                    ComponentKind kind = after.kind(replica);
                    AgentClient agent = after.agent(replica.host());
                    InstanceContext context = after.instanceContext(replica);
                    Readiness.await(agent, replica, kind.serving(context), kind.readyTimeout(), "did not serve");
                    MariaDbKind.seedReplicaPosition(context, after, backupGtid(replica, context));
                    kind.configure(context, after);
                    Readiness.await(
                            agent, replica, kind.readiness(context), kind.readyTimeout(), "did not become ready");
                });
    }

    private String backupGtid(Instance replica, InstanceContext context) {
        Executor executor = after.executor(replica.host());
        for (String file : MariaDbKind.backupPositionFiles(context.dataDir().toString())) {
            CommandResult read = executor.run(List.of("cat", file), COMMAND_TIMEOUT);
            if (read.succeeded()) {
                return MariaDbKind.backupGtid(read.stdout());
            }
        }
        throw new OperationException(
                ErrorCode.CLONE,
                "%s: the backup's binlog position is missing from %s; remove %s and run the scale-out again"
                        .formatted(replica.id(), context.dataDir(), context.dataDir()));
    }

    /**
     * Rewrites the files of every staying instance that can reload in place, and reloads those whose
     * loaded configuration does not show the change yet: re-running after a crash between the write
     * and the signal still reloads.
     */
    private List<Step> reloads(String operation, List<Instance> added, List<Instance> removed) {
        List<Instance> skip = new ArrayList<>(added);
        skip.addAll(removed);
        return reloads(operation, added, removed, skip);
    }

    /**
     * The reloads of an operation after which the instances of {@code shown} (from the {@code after}
     * topology) show in the loaded configurations and those of {@code gone} (from the {@code before}
     * topology) show only as far as {@code shown} still does: an instance whose role changes is in both.
     */
    List<Step> reloads(String operation, List<Instance> shown, List<Instance> gone, List<Instance> skip) {
        Set<Instance> skipped = new HashSet<>(skip);
        List<Step> steps = new ArrayList<>();
        for (Instance instance : after.topology().instances()) {
            ComponentKind kind = after.kind(instance);
            if (skipped.contains(instance) || kind.reloadSignal().isEmpty()) {
                continue;
            }
            List<String> present = shown.stream()
                    .flatMap(each -> kind.loadedMarkers(each).stream())
                    .distinct()
                    .toList();
            List<String> absent = gone.stream()
                    .flatMap(each -> kind.loadedMarkers(each).stream())
                    .filter(marker -> !present.contains(marker))
                    .distinct()
                    .toList();
            steps.add(Step.action(
                    "%s/reload/%s".formatted(operation, instance.id()),
                    "reload %s %s".formatted(instance.component(), instance.id()),
                    instance.host(),
                    () -> reload(instance, present, absent)));
        }
        return steps;
    }

    private void reload(Instance instance, List<String> present, List<String> absent) throws InterruptedException {
        ComponentKind kind = after.kind(instance);
        InstanceContext context = after.instanceContext(instance);
        Executor executor = after.executor(instance.host());
        boolean changed = false;
        for (Map.Entry<String, String> file : kind.configFiles(context).entrySet()) {
            changed |= executor.put(
                    Path.of(instance.deployDir()).resolve(file.getKey()).toString(),
                    file.getValue().getBytes(StandardCharsets.UTF_8),
                    "0644");
        }
        InstanceStatus status = after.agent(instance.host()).status(instance.id());
        if (status.state() != InstanceStatus.State.RUNNING) {
            return; // it reads the new files when it starts
        }
        Optional<String> url = kind.loadedUrl(context);
        if (url.isPresent() && present.isEmpty() && absent.isEmpty()) {
            return; // nothing it shows changes
        }
        if (url.isPresent() && loaded(url.get(), present, absent)) {
            return;
        }
        if (url.isEmpty() && !changed) {
            return;
        }
        executor.check(
                List.of("kill", "-" + kind.reloadSignal().orElseThrow(), String.valueOf(status.pid())),
                COMMAND_TIMEOUT);
        if (url.isEmpty()) {
            return;
        }
        if (!Wait.until(RELOAD_TIMEOUT, RELOAD_POLL, () -> loaded(url.get(), present, absent))) {
            throw new OperationException(
                    ErrorCode.RELOAD,
                    "%s %s did not load its new configuration within %d s (%s does not show it); see %s"
                            .formatted(
                                    instance.component(),
                                    instance.id(),
                                    RELOAD_TIMEOUT.toSeconds(),
                                    url.get(),
                                    ClusterContext.logFile(instance)));
        }
    }

    private static boolean loaded(String url, List<String> present, List<String> absent) throws InterruptedException {
        String body;
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return false;
            }
            body = response.body();
        } catch (IOException ignored) {
            return false; // reloading: asked again until the deadline
        }
        return present.stream().allMatch(body::contains) && absent.stream().noneMatch(body::contains);
    }

    /**
     * New etcd members join one at a time, as etcd allows no second unstarted member: each is made
     * known to the running members ({@code member add}), then started with {@code
     * --initial-cluster-state=existing} and waited for.
     */
    private Step joinEtcdMembers(List<Instance> joining) {
        List<Step> members = new ArrayList<>();
        for (Instance member : joining) {
            members.add(Step.serial(
                    "Join etcd member " + member.id(),
                    List.of(
                            Step.action(
                                    "scale-out/etcd-member/" + member.id(),
                                    "add etcd member %s".formatted(EtcdKind.memberName(member)),
                                    member.host(),
                                    () -> addEtcdMember(member)),
                            afterPlanner.launch(member),
                            afterPlanner.awaitReady(member))));
        }
        return Step.serial("Start etcd", members);
    }

    /** Asks a running member to add this one to etcd's membership, unless its peer URL is there already. */
    private void addEtcdMember(Instance joining) throws InterruptedException {
        Instance running = before.topology().instances("etcd").getFirst();
        Executor executor = before.executor(running.host());
        String endpoint = "http://%s:%d".formatted(running.host(), running.port("client_port"));
        String peerUrl = "http://%s:%d".formatted(joining.host(), joining.port("peer_port"));
        CommandResult members =
                executor.check(List.of("etcdctl", "--endpoints=" + endpoint, "member", "list"), COMMAND_TIMEOUT);
        if (members.stdout()
                .lines()
                .anyMatch(line -> List.of(line.split(",\\s*")).contains(peerUrl))) {
            return;
        }
        List<String> add = List.of(
                "etcdctl",
                "--endpoints=" + endpoint,
                "member",
                "add",
                EtcdKind.memberName(joining),
                "--peer-urls=" + peerUrl);
        // Like a removal, an addition is refused ("unhealthy cluster") while members have just (re)connected.
        runPastUnhealthy(executor, add);
    }

    /** Asks a member that stays to remove this one from etcd's membership, unless it is already gone. */
    private void removeEtcdMember(Instance leaving) throws InterruptedException {
        Instance survivor = after.topology().instances("etcd").getFirst();
        Executor executor = after.executor(survivor.host());
        String endpoint = "http://%s:%d".formatted(survivor.host(), survivor.port("client_port"));
        CommandResult members =
                executor.check(List.of("etcdctl", "--endpoints=" + endpoint, "member", "list"), COMMAND_TIMEOUT);
        String name = EtcdKind.memberName(leaving);
        for (String line : members.stdout().lines().toList()) {
            String[] fields = line.split(",\\s*");
            if (fields.length >= 3 && fields[2].equals(name)) {
                List<String> remove =
                        List.of("etcdctl", "--endpoints=" + endpoint, "member", "remove", fields[0].strip());
                // etcd refuses a removal ("unhealthy cluster") until the members that stay have been
                // connected to each other for a few seconds, as right after a start.
                runPastUnhealthy(executor, remove);
                return;
            }
        }
    }

    /**
     * Runs an etcdctl membership change, again while etcd refuses it as an "unhealthy cluster" (its
     * members have just (re)connected), until {@link #RELOAD_TIMEOUT}; then fails with its error.
     */
    private static void runPastUnhealthy(Executor executor, List<String> command) throws InterruptedException {
        boolean done = Wait.until(RELOAD_TIMEOUT, ETCD_RETRY, () -> {
            CommandResult result = executor.run(command, COMMAND_TIMEOUT);
            if (!result.succeeded() && !result.stderr().contains("unhealthy cluster")) {
                executor.check(command, COMMAND_TIMEOUT);
            }
            return result.succeeded();
        });
        if (!done) {
            executor.check(command, COMMAND_TIMEOUT);
        }
    }
}
