package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.ComponentKind;
import io.flotilla.catalog.InstanceContext;
import io.flotilla.catalog.Membership;
import io.flotilla.catalog.Reload;
import io.flotilla.catalog.Replication;
import io.flotilla.exec.Executor;
import io.flotilla.exec.ListeningPorts;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.OperationName;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.wait.Wait;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
    private static final Duration RELOAD_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration RELOAD_POLL = Duration.ofMillis(200);

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
        Plan.Builder plan = Plan.builder(OperationName.SCALE_OUT, after.name());
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
                    newHosts.stream().map(afterPlanner.agents()::prepareHost).toList()));
            plan.then(Step.parallel(
                    "Start agents",
                    newHosts.stream()
                            .map(host -> afterPlanner.agents().startStep("scale-out", host))
                            .toList()));
        }
        List<String> reach = oldHosts.stream().filter(hosts::contains).toList();
        if (!reach.isEmpty()) {
            plan.then(afterPlanner.agents().reachAgents("scale-out", reach));
        }
        List<Instance> replicas =
                added.stream().filter(after.catalog()::isReplica).toList();
        if (!replicas.isEmpty()) {
            Instance primary = primary();
            plan.then(Step.parallel(
                    "Clone replicas from the primary",
                    replicas.stream()
                            .map(replica -> (Step) replication(replica).cloneReplica(after, primary, replica))
                            .toList()));
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
                ComponentKind kind = after.kind(starting.getFirst());
                Optional<Membership> membership = kind.membership();
                if (membership.isPresent()
                        && !before.topology().instances(kind.name()).isEmpty()) {
                    tiers.add(joinMembers(tier, membership.get(), starting));
                    continue;
                }
                tiers.add(ClusterPlanner.startTier(
                        tier,
                        starting.stream().map(afterPlanner::launch).toList(),
                        starting.stream()
                                .map(instance -> after.catalog().isReplica(instance)
                                        ? awaitClone(instance)
                                        : afterPlanner.awaitReady(instance))
                                .toList()));
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
        Plan.Builder plan = Plan.builder(OperationName.SCALE_IN, before.name());
        List<String> hosts = leaving.stream().map(Instance::host).distinct().toList();
        plan.then(beforePlanner.agents().reachAgents("scale-in", hosts));
        List<Step> reloads = reloads("scale-in", List.of(), leaving);
        if (!reloads.isEmpty()) {
            plan.then(Step.parallel("Reload gateway and monitoring", reloads));
        }
        for (Instance instance : leaving) {
            before.kind(instance).membership().ifPresent(membership -> plan.then(membership.leave(after, instance)));
        }
        plan.then(Step.parallel(
                "Stop instances",
                leaving.stream()
                        .map(instance -> ClusterPlanner.onInstance(
                                "scale-in/stop",
                                "stop",
                                instance,
                                () -> beforePlanner.stopInstance("destroy", instance)))
                        .toList()));
        plan.then(beforePlanner.removeInstances("scale-in", leaving));
        Set<String> remaining = after.topology().hosts();
        List<String> emptied =
                hosts.stream().filter(host -> !remaining.contains(host)).toList();
        if (!emptied.isEmpty()) {
            plan.then(beforePlanner.agents().removeAgents("scale-in", emptied));
        }
        return plan.build();
    }

    /**
     * Refuses a scale-in that would break the cluster, with the reason and what to do instead.
     *
     * @return the instances that leave: the one named and, when it is the last of its host, the host's exporters
     */
    public static List<Instance> leaving(Catalog catalog, String cluster, Topology topology, String node) {
        Instance instance = topology.instances().stream()
                .filter(each -> each.id().equals(node))
                .filter(each -> !catalog.kind(each).everyHost())
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
                                                    .filter(each ->
                                                            !catalog.kind(each).everyHost())
                                                    .map(Instance::id)
                                                    .collect(Collectors.joining(", "))));
                });
        catalog.kind(instance).scaleInRefusal(cluster, topology, instance).ifPresent(refusal -> {
            throw new OperationException(ErrorCode.SCALE_IN_REFUSED, refusal);
        });
        List<Instance> leaving = new ArrayList<>(List.of(instance));
        boolean last = topology.instances().stream()
                .filter(each -> each.host().equals(instance.host()))
                .allMatch(each -> each.equals(instance) || catalog.kind(each).everyHost());
        if (last) {
            topology.instances().stream()
                    .filter(each -> each.host().equals(instance.host())
                            && catalog.kind(each).everyHost())
                    .forEach(leaving::add);
        }
        return List.copyOf(leaving);
    }

    /** The binaries are there, and no port or directory of a new instance is taken on its host. */
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
        problems.addAll(after.dirs()
                .problems(
                        executor,
                        added.stream()
                                .filter(instance -> instance.host().equals(host))
                                .toList()));
        if (!problems.isEmpty()) {
            throw new OperationException(
                    ErrorCode.PREFLIGHT,
                    "host %s is not ready for the new instances:\n  %s".formatted(host, String.join("\n  ", problems)));
        }
    }

    private Instance primary() {
        return SwitchoverPlanner.primary(after.catalog(), after.topology());
    }

    private Replication replication(Instance replica) {
        return after.kind(replica).replication().orElseThrow();
    }

    /** A cloned replica starts replicating at the backup's GTID position, then is ready like any replica. */
    private Step.Action awaitClone(Instance replica) {
        return ClusterPlanner.onInstance("scale-out/ready", "wait for", replica, () -> {
            ComponentKind kind = after.kind(replica);
            AgentClient agent = after.agent(replica.host());
            InstanceContext context = after.instanceContext(replica);
            Readiness.await(agent, replica, kind.serving(context), kind.readyTimeout(), "did not serve");
            replication(replica).resumeFromClone(after, replica);
            kind.configure(context, agent);
            Readiness.await(agent, replica, kind.readiness(context), kind.readyTimeout(), "did not become ready");
        });
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
            Optional<Reload> reload = after.kind(instance).reload();
            if (skipped.contains(instance) || reload.isEmpty()) {
                continue;
            }
            List<String> present = shown.stream()
                    .flatMap(each -> reload.get().markers(each).stream())
                    .distinct()
                    .toList();
            List<String> absent = gone.stream()
                    .flatMap(each -> reload.get().markers(each).stream())
                    .filter(marker -> !present.contains(marker))
                    .distinct()
                    .toList();
            steps.add(ClusterPlanner.onInstance(
                    operation + "/reload", "reload", instance, () -> reload(instance, present, absent)));
        }
        return steps;
    }

    private void reload(Instance instance, List<String> present, List<String> absent) throws InterruptedException {
        ComponentKind kind = after.kind(instance);
        InstanceContext context = after.instanceContext(instance);
        Executor executor = after.executor(instance.host());
        for (Map.Entry<String, String> file : kind.configFiles(context).entrySet()) {
            executor.put(
                    Path.of(instance.deployDir()).resolve(file.getKey()).toString(),
                    file.getValue().getBytes(StandardCharsets.UTF_8),
                    "0644");
        }
        InstanceStatus status = after.agent(instance.host()).status(instance.id());
        if (status.state() != InstanceStatus.State.RUNNING) {
            return; // it reads the new files when it starts
        }
        Reload reload = kind.reload().orElseThrow();
        String url = reload.loadedUrl(instance);
        if (present.isEmpty() && absent.isEmpty()) {
            return; // nothing it shows changes
        }
        if (loaded(url, present, absent)) {
            return;
        }
        executor.check(List.of("kill", "-" + reload.signal(), String.valueOf(status.pid())), COMMAND_TIMEOUT);
        if (!Wait.until(RELOAD_TIMEOUT, RELOAD_POLL, () -> loaded(url, present, absent))) {
            throw new OperationException(
                    ErrorCode.RELOAD,
                    "%s %s did not load its new configuration within %d s (%s does not show it); see %s"
                            .formatted(
                                    instance.component(),
                                    instance.id(),
                                    RELOAD_TIMEOUT.toSeconds(),
                                    url,
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
     * New members join one at a time, as etcd allows no second unstarted member: each is made known
     * to the running members, then started and waited for.
     */
    private Step joinMembers(String tier, Membership membership, List<Instance> joining) {
        List<Step> members = new ArrayList<>();
        for (Instance member : joining) {
            members.add(Step.serial(
                    "Join %s member %s".formatted(member.component(), member.id()),
                    List.of(
                            membership.join(before, member),
                            afterPlanner.launch(member),
                            afterPlanner.awaitReady(member))));
        }
        return Step.serial("Start " + tier, members);
    }
}
