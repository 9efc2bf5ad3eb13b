package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.InstanceContext;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.OperationName;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.wait.Wait;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Compiles a planned switchover of the MariaDB primary to one of its replicas. It sees the cluster
 * before (the old primary) and after (the candidate as primary, every other MariaDB instance its
 * replica, the old primary included). Every step checks before it acts, so that a run cut short,
 * even by {@code kill -9}, is finished by the same command:
 *
 * <ol>
 *   <li>the candidate replicates from the primary, both threads running, and is not far behind;
 *   <li>the old primary is fenced: {@code read_only}, its client sessions killed, and a global read
 *       lock ({@code FLUSH TABLES WITH READ LOCK}) held by this planner, since root and any user
 *       with {@code READ_ONLY ADMIN} write past {@code read_only}. The candidate then applies
 *       everything the old primary wrote (its {@code gtid_binlog_pos}); when it does not in time,
 *       the old primary is made writable again and nothing else has changed;
 *   <li>the candidate stops replicating, forgets its primary and becomes writable;
 *   <li>the gateway is rewritten and reloaded in place, so that writes go to the new primary;
 *   <li>the other replicas replicate from the candidate with GTID;
 *   <li>the old primary's sessions that waited on the lock are killed, the lock is released, and
 *       the old primary replicates from the candidate.
 * </ol>
 *
 * A run resumed after a crash takes the fence again before acting; writes that reached the old
 * primary in between are found before it replicates, and reported. The caller stores the topology
 * with the roles swapped once the plan finished, and closes the planner whatever happened.
 */
public final class SwitchoverPlanner implements AutoCloseable {
    /** How far behind its primary a candidate may be (Seconds_Behind_Master) for a switchover to begin. */
    static final long MAX_LAG_SECONDS = 30;

    /** How long the candidate may take to apply what the fenced primary wrote, unless told otherwise. */
    public static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(60);

    private static final Duration POLL = Duration.ofMillis(100);

    private final ClusterContext before;
    private final ClusterContext after;
    private final Instance from;
    private final Instance to;
    private final Instance newPrimary;
    private final Instance oldPrimary;
    private final Duration catchUpTimeout;
    /** The session holding the old primary's global read lock, while this planner holds it. */
    private Connection fence;
    /** The id of that session on the old primary. */
    private long fenceSession = -1;

    /**
     * @param before the cluster as it is
     * @param after the same cluster with {@code to} as its primary
     * @param to the candidate, as {@code before} declares it
     * @param catchUpTimeout how long the candidate may take to apply what the fenced primary wrote
     */
    public SwitchoverPlanner(ClusterContext before, ClusterContext after, Instance to, Duration catchUpTimeout) {
        this.catchUpTimeout = requireNonNull(catchUpTimeout, "catchUpTimeout is null");
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
    }

    /**
     * The replica {@code node} names, or the reason it cannot become the primary, with the instances
     * that can. Reads only the topology.
     */
    public static Instance candidate(Catalog catalog, String cluster, Topology topology, String node) {
        List<Instance> replicas =
                topology.instances().stream().filter(catalog::isReplica).toList();
        String choices = replicas.isEmpty()
                ? "; cluster '%s' has no MariaDB replica: scale out one first".formatted(cluster)
                : "; its MariaDB replicas are "
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
        if (!catalog.isReplica(instance) && !catalog.isPrimary(instance)) {
            throw new OperationException(
                    ErrorCode.SWITCHOVER_REFUSED,
                    "%s is a %s instance, not a MariaDB replica of cluster '%s'%s"
                            .formatted(node, instance.component(), cluster, choices));
        }
        return instance;
    }

    public static Instance primary(Catalog catalog, Topology topology) {
        return catalog.primary(topology)
                .orElseThrow(() -> new OperationException(ErrorCode.NO_PRIMARY, "the cluster has no MariaDB primary"));
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
                                endWaitingSessions();
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

    private void checkCandidate() throws SQLException {
        if (switchedAlready()) {
            return; // a run that did every step but could not store the topology
        }
        try (Connection connection = before.open(to.host(), to.mainPort());
                Statement statement = connection.createStatement()) {
            Map<String, String> status = slaveStatus(statement);
            if (status.isEmpty()) {
                throw refused("%s does not replicate from anything (SHOW SLAVE STATUS is empty)".formatted(to.id()));
            }
            String source = status.get("Master_Host") + ":" + status.get("Master_Port");
            if (!source.equals(from.host() + ":" + from.mainPort())) {
                throw refused("%s replicates from %s, not from the primary %s".formatted(to.id(), source, from.id()));
            }
            String io = status.get("Slave_IO_Running");
            String sql = status.get("Slave_SQL_Running");
            if (!"Yes".equals(io) || !"Yes".equals(sql)) {
                String error = firstNonEmpty(status.get("Last_SQL_Error"), status.get("Last_IO_Error"));
                throw refused("the replication of %s is broken (Slave_IO_Running: %s, Slave_SQL_Running: %s%s)"
                        .formatted(to.id(), io, sql, error.isEmpty() ? "" : ", last error: " + error));
            }
            String behind = status.get("Seconds_Behind_Master");
            if (behind != null && !behind.isEmpty() && Long.parseLong(behind) > MAX_LAG_SECONDS) {
                throw refused("%s is %s s behind the primary (at most %d s are allowed)"
                        .formatted(to.id(), behind, MAX_LAG_SECONDS));
            }
        }
    }

    private OperationException refused(String why) {
        return new OperationException(
                ErrorCode.SWITCHOVER_REFUSED,
                "%s cannot become the primary of cluster '%s': %s. Nothing was changed; fix its replication (see `flotilla cluster display %s`) or choose another replica"
                        .formatted(to.id(), before.name(), why, before.name()));
    }

    /** The old primary replicates from the candidate: every step before storing the topology is done. */
    private boolean switchedAlready() throws SQLException {
        try (Connection connection = before.open(from.host(), from.mainPort());
                Statement statement = connection.createStatement()) {
            return replicatesFrom(slaveStatus(statement), to);
        }
    }

    private void fence() throws SQLException, InterruptedException {
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
    private void awaitCatchUp() throws SQLException, InterruptedException {
        try (Connection primary = before.open(from.host(), from.mainPort());
                Statement statement = primary.createStatement()) {
            String target = scalar(statement, "SELECT @@GLOBAL.gtid_binlog_pos");
            try (Connection candidate = before.open(to.host(), to.mainPort());
                    Statement waiting = candidate.createStatement()) {
                AtomicReference<String> reached = new AtomicReference<>();
                boolean caughtUp = Wait.until(catchUpTimeout, POLL, () -> {
                    reached.set(scalar(waiting, "SELECT @@GLOBAL.gtid_binlog_pos"));
                    return covers(reached.get(), target);
                });
                if (!caughtUp) {
                    releaseFence();
                    statement.execute("SET GLOBAL read_only = OFF");
                    Map<String, String> status = slaveStatus(waiting);
                    String error = firstNonEmpty(status.get("Last_SQL_Error"), status.get("Last_IO_Error"));
                    throw new OperationException(
                            ErrorCode.SWITCHOVER_CATCH_UP,
                            "%s did not apply the primary's transactions up to '%s' within %d s (it is at '%s'; Slave_IO_Running: %s, Slave_SQL_Running: %s%s). %s is writable again and nothing else changed; fix the replica and run the same command again, or choose another replica"
                                    .formatted(
                                            to.id(),
                                            target,
                                            catchUpTimeout.toSeconds(),
                                            reached.get(),
                                            status.getOrDefault("Slave_IO_Running", "none"),
                                            status.getOrDefault("Slave_SQL_Running", "none"),
                                            error.isEmpty() ? "" : ", last error: " + error,
                                            from.id()));
                }
            }
        }
    }

    /** Ends the old primary's client sessions (they wait on the lock) while the fence holds. */
    private synchronized void endWaitingSessions() throws SQLException {
        if (fence == null) {
            return;
        }
        try (Connection connection = before.open(from.host(), from.mainPort());
                Statement statement = connection.createStatement()) {
            killClients(statement, fenceSession);
        }
    }

    /** Takes the fence again when a resumed run does not hold it, unless the old primary already replicates. */
    private synchronized void ensureFenced() throws SQLException {
        if (fence == null && !switchedAlready()) {
            takeFence();
        }
    }

    /**
     * Makes the old primary read-only, kills its client sessions and holds its global read lock on
     * a session of this planner: no client, whatever its privileges, writes to it any more.
     */
    private synchronized void takeFence() throws SQLException {
        Connection session = before.open(from.host(), from.mainPort());
        try (Statement statement = session.createStatement()) {
            statement.execute("SET GLOBAL read_only = ON");
            long own = Long.parseLong(scalar(statement, "SELECT CONNECTION_ID()"));
            killClients(statement, own);
            statement.execute("SET SESSION lock_wait_timeout = 30");
            statement.execute("FLUSH TABLES WITH READ LOCK");
            fenceSession = own;
        } catch (SQLException | RuntimeException e) {
            session.close();
            throw e;
        }
        fence = session;
    }

    private synchronized void releaseFence() throws SQLException {
        if (fence == null) {
            return;
        }
        try (Connection session = fence;
                Statement statement = session.createStatement()) {
            fence = null;
            statement.execute("UNLOCK TABLES");
        }
    }

    /** Releases the old primary's lock if a step failed while it was held; the old primary stays read-only. */
    @Override
    public void close() {
        try {
            releaseFence();
        } catch (SQLException ignored) {
            // The session is gone, and the lock with it.
        }
    }

    /**
     * Ends every client session of the old primary but this one and replication's own: a client
     * with the privilege to write past {@code read_only} (root has it) must reconnect, through the
     * gateway, to the new primary.
     */
    private void killClients(Statement statement, long keep) throws SQLException {
        List<Long> sessions = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND ID <> %d".formatted(keep)
                        + " AND USER NOT IN ('system user', 'event_scheduler', '%s')"
                                .formatted(before.kind(from)
                                        .replication()
                                        .orElseThrow()
                                        .replicationUser())
                        + " AND COMMAND NOT IN ('Binlog Dump', 'Daemon')")) {
            while (rows.next()) {
                sessions.add(rows.getLong(1));
            }
        }
        for (long session : sessions) {
            try {
                statement.execute("KILL CONNECTION " + session);
            } catch (SQLException ignored) {
                // It ended on its own meanwhile.
            }
        }
    }

    private void promote() throws Exception {
        ensureFenced();
        InstanceContext context = after.instanceContext(newPrimary);
        rewriteConfig(newPrimary, context);
        try (Connection connection = after.open(to.host(), to.mainPort());
                Statement statement = connection.createStatement()) {
            if (!slaveStatus(statement).isEmpty()) {
                // Again, for a run resumed after a crash: the old primary was not fenced meanwhile.
                awaitCatchUp();
                statement.execute("STOP SLAVE");
                statement.execute("RESET SLAVE ALL");
            }
            statement.execute("SET GLOBAL read_only = OFF");
        }
        after.kind(newPrimary).configure(context, after);
        after.agent(to.host()).put(after.spec(newPrimary));
    }

    private void repoint(Instance replica) throws Exception {
        InstanceContext context = after.instanceContext(replica);
        if (replica.equals(oldPrimary)) {
            rewriteConfig(replica, context);
            try (Connection connection = after.open(replica.host(), replica.mainPort());
                    Statement statement = connection.createStatement()) {
                statement.execute("SET GLOBAL read_only = ON");
                if (!replicatesFrom(slaveStatus(statement), to)) {
                    // Sessions that came before the gateway moved wait on the lock: they end, not write.
                    killClients(statement, fenceSession);
                    releaseFence();
                    String own = scalar(statement, "SELECT @@GLOBAL.gtid_binlog_pos");
                    try (Connection primary = after.open(to.host(), to.mainPort());
                            Statement onPrimary = primary.createStatement()) {
                        // What the new primary applied from this one, kept after RESET SLAVE ALL.
                        String applied = scalar(onPrimary, "SELECT @@GLOBAL.gtid_slave_pos");
                        if (!appliedAll(applied, own)) {
                            throw new OperationException(
                                    ErrorCode.SWITCHOVER_DIVERGED,
                                    "%s has transactions the new primary %s lacks (its binlog ends at '%s', the new primary applied it up to '%s'): writes reached it while the switchover was interrupted and it was not fenced. It stays read-only and replicates from nothing; compare the two, remove the extra transactions from %s (or rebuild it: scale it in and out), then run the same command again"
                                            .formatted(replica.id(), to.id(), own, applied, replica.id()));
                        }
                    }
                    // A former primary applied what its binlog holds, whatever its old gtid_slave_pos says.
                    statement.execute("STOP SLAVE");
                    statement.execute("SET GLOBAL gtid_slave_pos = '%s'".formatted(own.replace("'", "")));
                }
            }
        }
        after.kind(replica).configure(context, after);
        after.agent(replica.host()).put(after.spec(replica));
        Readiness.await(
                after.agent(replica.host()),
                replica,
                after.kind(replica).readiness(context),
                after.kind(replica).readyTimeout(),
                "did not replicate from the new primary " + to.id());
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

    private static boolean replicatesFrom(Map<String, String> status, Instance source) {
        return source.host().equals(status.get("Master_Host"))
                && String.valueOf(source.mainPort()).equals(status.get("Master_Port"))
                && "Yes".equals(status.get("Slave_SQL_Running"))
                && !"No".equals(status.get("Slave_IO_Running"));
    }

    /**
     * Whether a GTID position ({@code 0-1-42,1-3-7}) has reached another in every replication
     * domain of the other: with {@code gtid_strict_mode}, sequence numbers only grow within a domain.
     */
    static boolean covers(String reached, String target) {
        Map<String, Long> have = positions(reached);
        for (Map.Entry<String, Long> want : positions(target).entrySet()) {
            if (have.getOrDefault(want.getKey(), -1L) < want.getValue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code applied} (a replica's {@code gtid_slave_pos}) ends, in every domain of {@code
     * written} (its former primary's {@code gtid_binlog_pos}), at the very GTID the primary wrote
     * last: a later write, even one with a sequence number the replica's own writes reached, is not.
     */
    static boolean appliedAll(String applied, String written) {
        Map<String, String> last = lastGtids(applied);
        return lastGtids(written).entrySet().stream()
                .allMatch(each -> each.getValue().equals(last.get(each.getKey())));
    }

    private static Map<String, String> lastGtids(String gtids) {
        Map<String, String> last = new LinkedHashMap<>();
        for (String gtid : gtids.split(",")) {
            String[] parts = gtid.strip().split("-");
            if (parts.length == 3) {
                last.put(parts[0], gtid.strip());
            }
        }
        return last;
    }

    private static Map<String, Long> positions(String gtids) {
        Map<String, Long> positions = new LinkedHashMap<>();
        for (String gtid : gtids.split(",")) {
            String[] parts = gtid.strip().split("-");
            if (parts.length == 3) {
                positions.merge(parts[0], Long.parseLong(parts[2]), Math::max);
            }
        }
        return positions;
    }

    private static Map<String, String> slaveStatus(Statement statement) throws SQLException {
        Map<String, String> status = new LinkedHashMap<>();
        try (ResultSet rows = statement.executeQuery("SHOW SLAVE STATUS")) {
            if (rows.next()) {
                for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
                    String value = rows.getString(i);
                    status.put(rows.getMetaData().getColumnLabel(i), value == null ? "" : value);
                }
            }
        }
        return status;
    }

    private static String scalar(Statement statement, String query) throws SQLException {
        try (ResultSet row = statement.executeQuery(query)) {
            row.next();
            String value = row.getString(1);
            return value == null ? "" : value;
        }
    }

    private static String firstNonEmpty(String first, String second) {
        if (first != null && !first.isEmpty()) {
            return first;
        }
        return second == null ? "" : second;
    }
}
