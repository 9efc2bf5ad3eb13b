package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.FenceRequest;
import io.flotilla.agent.api.GtidPosition;
import io.flotilla.agent.api.GtidSet;
import io.flotilla.agent.api.GtidWait;
import io.flotilla.agent.api.ReplicaStatus;
import io.flotilla.agent.api.ReplicationState;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.InstanceContext;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.OperationName;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import io.flotilla.topology.HostPort;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Compiles a planned switchover of the MariaDB primary to one of its replicas. It sees the cluster
 * before (the old primary) and after (the candidate as primary, every other MariaDB instance its
 * replica, the old primary included). Every step is asked of the agents on the instances' hosts
 * (the control machine holds no SQL connection) and checks before it acts, so that a run cut
 * short, even by {@code kill -9}, is finished by the same command:
 *
 * <ol>
 *   <li>the candidate replicates from the primary, both threads running, and is not far behind;
 *   <li>the old primary's agent fences it: {@code read_only}, its client sessions killed, and a
 *       global read lock ({@code FLUSH TABLES WITH READ LOCK}) the agent holds, since root and any
 *       user with {@code READ_ONLY ADMIN} write past {@code read_only}. The candidate then applies
 *       everything the old primary wrote (its {@code gtid_binlog_pos}); when it does not in time,
 *       the old primary is made writable again and nothing else has changed;
 *   <li>the candidate stops replicating, forgets its primary and becomes writable;
 *   <li>the gateway is rewritten and reloaded in place, so that writes go to the new primary;
 *   <li>the other replicas replicate from the candidate with GTID;
 *   <li>the old primary's sessions that waited on the lock are killed, the lock is released, and
 *       the old primary replicates from the candidate.
 * </ol>
 *
 * The agent lets a fence go by itself once its hold is over, so that a command that died cannot
 * keep the old primary locked; each later step takes or refreshes it first. Writes that reached
 * the old primary while it was not fenced are found before it replicates, and reported. The caller
 * stores the topology with the roles swapped once the plan finished, and closes the planner
 * whatever happened.
 */
public final class SwitchoverPlanner implements AutoCloseable {
    /** How far behind its primary a candidate may be (Seconds_Behind_Master) for a switchover to begin. */
    static final long MAX_LAG_SECONDS = 30;

    /** How long the candidate may take to apply what the fenced primary wrote, unless told otherwise. */
    public static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(60);

    /** How long a fence outlasts the step that took or refreshed it, besides the catch-up. */
    private static final Duration FENCE_MARGIN = Duration.ofSeconds(120);

    private final ClusterContext before;
    private final ClusterContext after;
    private final Instance from;
    private final Instance to;
    private final Instance newPrimary;
    private final Instance oldPrimary;
    private final Duration catchUpTimeout;
    private final String replicationUser;
    /** Whether this run took or refreshed the old primary's fence and has not released it. */
    private boolean fenced;

    /**
     * @param before the cluster as it is
     * @param after the same cluster with {@code to} as its primary
     * @param to the candidate, as {@code before} declares it
     * @param catchUpTimeout how long the candidate may take to apply what the fenced primary wrote
     */
    public SwitchoverPlanner(ClusterContext before, ClusterContext after, Instance to, Duration catchUpTimeout) {
        this.catchUpTimeout = requireNonNull(catchUpTimeout, "catchUpTimeout is null");
        if (catchUpTimeout.isNegative() || catchUpTimeout.toSeconds() > GtidWait.MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("catchUpTimeout %d s is outside 0..%d s"
                    .formatted(catchUpTimeout.toSeconds(), GtidWait.MAX_TIMEOUT_SECONDS));
        }
        this.before = requireNonNull(before, "before is null");
        this.after = requireNonNull(after, "after is null");
        this.to = requireNonNull(to, "to is null");
        this.from = primary(before.catalog(), before.topology());
        this.newPrimary = primary(after.catalog(), after.topology());
        this.oldPrimary = after.catalog().replicated(after.topology()).stream()
                .filter(each -> each.id().equals(from.id()))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("%s is not in the new topology".formatted(from.id())));
        if (!newPrimary.id().equals(to.id())) {
            throw new IllegalArgumentException(
                    "the new topology's primary is %s, not %s".formatted(newPrimary.id(), to.id()));
        }
        this.replicationUser = before.kind(from).replication().orElseThrow().replicationUser();
    }

    /**
     * The replica {@code node} names, or the reason it cannot become the primary, with the instances
     * that can. Reads only the topology.
     */
    public static Instance candidate(Catalog catalog, String cluster, Topology topology, String node) {
        List<Instance> replicas =
                topology.instances().stream().filter(catalog::isReplica).toList();
        String replicated = catalog.replicatedName(topology);
        String choices = replicas.isEmpty()
                ? "; cluster '%s' has no %s replica: scale out one first".formatted(cluster, replicated)
                : "; its %s replicas are ".formatted(replicated)
                        + replicas.stream().map(Instance::id).collect(Collectors.joining(", "));
        Optional<Instance> named = topology.instances().stream()
                .filter(each -> each.id().equals(node))
                .filter(each -> !catalog.kind(each).everyHost())
                .findFirst();
        if (named.isEmpty()) {
            throw new OperationException(
                    ErrorCode.BAD_SELECTION,
                    "%s is not an instance of cluster '%s'%s".formatted(node, cluster, choices));
        }
        Instance instance = named.get();
        if (instance.component().equals("mariadb") && topology.ha().enabled(topology)) {
            throw new OperationException(
                    ErrorCode.SWITCHOVER_REFUSED,
                    ("cluster '%s' fails over by itself (ha in its topology): its agents hold the primary's lease"
                                    + " in etcd, and a switchover that does not go through the lease would fight them;"
                                    + " a planned switchover of an HA cluster is not built yet")
                            .formatted(cluster));
        }
        if (!catalog.isReplica(instance) && !catalog.isPrimary(instance)) {
            throw new OperationException(
                    ErrorCode.SWITCHOVER_REFUSED,
                    "%s is a %s instance, not a %s replica of cluster '%s'%s"
                            .formatted(node, instance.component(), replicated, cluster, choices));
        }
        return instance;
    }

    public static Instance primary(Catalog catalog, Topology topology) {
        return catalog.primary(topology)
                .orElseThrow(() -> new OperationException(
                        ErrorCode.NO_PRIMARY,
                        "the cluster has no %s primary".formatted(catalog.replicatedName(topology))));
    }

    public Plan switchover() {
        Plan.Builder plan = Plan.builder(OperationName.SWITCHOVER, after.name());
        plan.then(Step.action(
                "switchover/check/" + to.id(),
                "check that %s replicates from %s".formatted(to.id(), from.id()),
                to.host(),
                this::checkCandidate));
        plan.then(Step.action(
                "switchover/fence/" + from.id(),
                "fence %s and wait for %s to apply all of it".formatted(from.id(), to.id()),
                from.host(),
                this::fence));
        plan.then(Step.action(
                "switchover/promote/" + to.id(), "make %s the primary".formatted(to.id()), to.host(), this::promote));
        List<Step> reloads = new ScalePlanner(before, after)
                .reloads(
                        "switchover",
                        List.of(newPrimary, oldPrimary),
                        List.of(to, from),
                        after.catalog().replicated(after.topology()));
        if (!reloads.isEmpty()) {
            // Writes move first. Each reload checks the fence: a resumed run may not hold it yet.
            plan.then(Step.parallel(
                    "Reload the gateway",
                    reloads.stream()
                            .map(step -> (Step.Action) step)
                            .map(action -> Step.action(action.id(), action.title(), action.host(), () -> {
                                ensureFenced();
                                action.task().run();
                                // New sessions go to the new primary now; those that came before end.
                                agent(from).endSessions(from.id(), replicationUser);
                            }))
                            .toList()));
        }
        List<Step> repoints = new ArrayList<>();
        for (Instance replica : after.catalog().replicated(after.topology())) {
            if (replica.equals(newPrimary) || replica.equals(oldPrimary)) {
                continue;
            }
            repoints.add(Step.action(
                    "switchover/repoint/" + replica.id(),
                    "make %s replicate from %s".formatted(replica.id(), to.id()),
                    replica.host(),
                    () -> repoint(replica)));
        }
        if (!repoints.isEmpty()) {
            plan.then(Step.parallel("Replicate from the new primary", repoints));
        }
        plan.then(Step.action(
                "switchover/repoint/" + from.id(),
                "release %s and make it replicate from %s".formatted(from.id(), to.id()),
                from.host(),
                () -> repoint(oldPrimary)));
        return plan.build();
    }

    private void checkCandidate() {
        if (switchedAlready()) {
            return; // a run that did every step but could not store the topology
        }
        ReplicaStatus status = agent(to).replicationState(to.id()).source();
        if (status == null) {
            throw refused("%s does not replicate from anything (SHOW SLAVE STATUS is empty)".formatted(to.id()));
        }
        String source = HostPort.of(status.primaryHost(), status.primaryPort());
        if (!source.equals(from.id())) {
            throw refused("%s replicates from %s, not from the primary %s".formatted(to.id(), source, from.id()));
        }
        if (!"Yes".equals(status.ioRunning()) || !"Yes".equals(status.sqlRunning())) {
            throw refused("the replication of %s is broken (Slave_IO_Running: %s, Slave_SQL_Running: %s%s)"
                    .formatted(to.id(), status.ioRunning(), status.sqlRunning(), lastError(status)));
        }
        if (status.secondsBehind() > MAX_LAG_SECONDS) {
            throw refused("%s is %d s behind the primary (at most %d s are allowed)"
                    .formatted(to.id(), status.secondsBehind(), MAX_LAG_SECONDS));
        }
    }

    private OperationException refused(String why) {
        return new OperationException(
                ErrorCode.SWITCHOVER_REFUSED,
                "%s cannot become the primary of cluster '%s': %s. Nothing was changed; fix its replication (see `flotilla cluster display %s`) or choose another replica"
                        .formatted(to.id(), before.name(), why, before.name()));
    }

    /** The old primary replicates from the candidate: every step before storing the topology is done. */
    private boolean switchedAlready() {
        return replicatesFrom(agent(from).replicationState(from.id()).source(), to);
    }

    private void fence() {
        if (switchedAlready()) {
            return;
        }
        takeFence();
        awaitCatchUp();
    }

    /**
     * Waits until the candidate has applied everything the fenced old primary wrote. When it does
     * not in time, the old primary is released and made writable again: nothing else has changed.
     */
    private void awaitCatchUp() {
        String target = agent(from).replicationState(from.id()).gtidBinlogPos();
        if (target.isEmpty()) {
            return; // the primary never wrote a transaction
        }
        try {
            agent(to).awaitGtid(to.id(), new GtidWait(target, (int) catchUpTimeout.toSeconds()));
        } catch (AgentException e) {
            if (e.code() != AgentException.Code.REFUSED) {
                throw e;
            }
            releaseFence(true);
            ReplicationState reached = agent(to).replicationState(to.id());
            ReplicaStatus status = reached.source();
            throw new OperationException(
                    ErrorCode.SWITCHOVER_CATCH_UP,
                    "%s did not apply the primary's transactions up to '%s' within %d s (it is at '%s'; Slave_IO_Running: %s, Slave_SQL_Running: %s%s). %s is writable again and nothing else changed; fix the replica and run the same command again, or choose another replica"
                            .formatted(
                                    to.id(),
                                    target,
                                    catchUpTimeout.toSeconds(),
                                    reached.gtidSlavePos(),
                                    status == null ? "none" : status.ioRunning(),
                                    status == null ? "none" : status.sqlRunning(),
                                    lastError(status),
                                    from.id()));
        }
    }

    /** Takes or refreshes the fence, unless the old primary already replicates from the candidate. */
    private void ensureFenced() {
        if (!switchedAlready()) {
            takeFence();
        }
    }

    /**
     * Has the old primary's agent make it read-only, kill its client sessions and hold its global
     * read lock: no client, whatever its privileges, writes to it any more. A fence held already
     * is refreshed: its hold starts over.
     */
    private synchronized void takeFence() {
        int hold = (int) Math.min(
                FenceRequest.MAX_HOLD_SECONDS, catchUpTimeout.plus(FENCE_MARGIN).toSeconds());
        agent(from).fence(from.id(), new FenceRequest(hold, replicationUser));
        fenced = true;
    }

    private synchronized void releaseFence(boolean writable) {
        agent(from).release(from.id(), writable);
        fenced = false;
    }

    /** Releases the old primary's lock if a step failed while this run held it; the old primary stays read-only. */
    @Override
    public synchronized void close() {
        if (!fenced) {
            return;
        }
        try {
            releaseFence(false);
        } catch (AgentException ignored) {
            // The agent is out of reach; it lets the fence go by itself when its hold is over.
        }
    }

    private void promote() throws Exception {
        ensureFenced();
        InstanceContext context = after.instanceContext(newPrimary);
        rewriteConfig(newPrimary, context);
        AgentClient agent = agent(to);
        if (agent.replicationState(to.id()).source() != null) {
            // Again, for a run resumed after a crash: the old primary was not fenced meanwhile.
            awaitCatchUp();
        }
        agent.promote(to.id());
        after.kind(newPrimary).configure(context, agent);
        agent.put(after.spec(newPrimary));
    }

    private void repoint(Instance replica) throws Exception {
        InstanceContext context = after.instanceContext(replica);
        AgentClient agent = agent(replica);
        if (replica.equals(oldPrimary)) {
            rewriteConfig(replica, context);
            if (!switchedAlready()) {
                // Fenced again, so that sessions that came before the gateway moved end, not write.
                takeFence();
                releaseFence(false);
                String own = agent.replicationState(replica.id()).gtidBinlogPos();
                // What the new primary applied from this one, kept after RESET SLAVE ALL.
                String applied = agent(to).replicationState(to.id()).gtidSlavePos();
                if (!appliedAll(applied, own)) {
                    throw new OperationException(
                            ErrorCode.SWITCHOVER_DIVERGED,
                            "%s has transactions the new primary %s lacks (its binlog ends at '%s', the new primary applied it up to '%s'): writes reached it while the switchover was interrupted and it was not fenced. It stays read-only and replicates from nothing; compare the two, remove the extra transactions from %s (or rebuild it: scale it in and out), then run the same command again"
                                    .formatted(replica.id(), to.id(), own, applied, replica.id()));
                }
                // A former primary applied what its binlog holds, whatever its old gtid_slave_pos says.
                agent.setPosition(replica.id(), new GtidPosition(own));
            }
        }
        after.kind(replica).configure(context, agent);
        agent.put(after.spec(replica));
        Readiness.await(
                agent,
                replica,
                after.kind(replica).readiness(context),
                after.kind(replica).readyTimeout(),
                "did not replicate from the new primary " + to.id());
    }

    private AgentClient agent(Instance instance) {
        return after.agent(instance.host());
    }

    /** The instance's my.cnf as its new role has it ({@code read_only}), for its next start; no restart. */
    private void rewriteConfig(Instance instance, InstanceContext context) {
        for (Map.Entry<String, String> file :
                after.kind(instance).configFiles(context).entrySet()) {
            after.executor(instance.host())
                    .put(
                            Path.of(instance.deployDir()).resolve(file.getKey()).toString(),
                            file.getValue().getBytes(StandardCharsets.UTF_8),
                            "0644");
        }
    }

    private static boolean replicatesFrom(ReplicaStatus status, Instance source) {
        return status != null
                && source.host().equals(status.primaryHost())
                && source.mainPort() == status.primaryPort()
                && "Yes".equals(status.sqlRunning())
                && !"No".equals(status.ioRunning());
    }

    private static String lastError(ReplicaStatus status) {
        return status == null || status.lastError().isEmpty() ? "" : ", last error: " + status.lastError();
    }

    /**
     * Whether {@code applied} (a replica's {@code gtid_slave_pos}) ends, in every domain of {@code
     * written} (its former primary's {@code gtid_binlog_pos}), at the very GTID the primary wrote
     * last: a later write, even one with a sequence number the replica's own writes reached, is not.
     */
    static boolean appliedAll(String applied, String written) {
        Map<Long, GtidSet.Gtid> last = GtidSet.parse(applied).byDomain();
        return GtidSet.parse(written).byDomain().values().stream()
                .allMatch(gtid -> gtid.equals(last.get(gtid.domain())));
    }
}
