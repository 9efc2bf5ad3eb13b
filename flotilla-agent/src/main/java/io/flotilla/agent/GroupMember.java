package io.flotilla.agent;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.EtcdClient;
import io.flotilla.agent.api.EtcdClient.EtcdException;
import io.flotilla.agent.api.EtcdClient.KeyValue;
import io.flotilla.agent.api.FenceRequest;
import io.flotilla.agent.api.GtidPosition;
import io.flotilla.agent.api.GtidSet;
import io.flotilla.agent.api.MemberState;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.ReplicaStatus;
import io.flotilla.agent.api.ReplicationSource;
import io.flotilla.agent.api.ReplicationState;
import io.flotilla.agent.api.SqlAdmin;
import io.flotilla.agent.api.Takeover;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One MariaDB instance's part in its replication group's failover, run by the agent of its host.
 * Every {@code ttl / 10} it publishes the instance's health and GTID state in etcd on a lease of
 * its own ({@link MemberState}, gone with the agent), reads the group's leader key, and acts:
 *
 * <ul>
 *   <li>the group's primary holds the key through a {@link PrimaryGuard}, which fences it once the
 *       lead is lost;
 *   <li>a replica replicates from the key's holder, and is pointed at it when the holder changes;
 *   <li>once the key is free, the replica {@link Election} picks takes it in one etcd transaction,
 *       re-checks that it is still the one to pick, applies its relay log, records its {@link
 *       Takeover}, and only then takes writes;
 *   <li>a former primary fences itself when another member leads, and rejoins as that member's
 *       replica only when it holds nothing beyond the takeover's position; otherwise it stays
 *       read-only and quarantined, naming the GTIDs the new primary lacks.
 * </ul>
 *
 * <p>A group that never had a leader waits for the primary the topology names: replicas elect only
 * once a takeover is on record, so that a slow first start cannot promote a replica beside a
 * healthy primary. {@link #writable} is what the gateway's write check answers.
 */
final class GroupMember implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GroupMember.class.getName());

    /** A MariaDB instance of the group, and where its peers replicate from it. */
    record Peer(String id, String host, int port) {
        Peer {
            requireNonNull(id, "id is null");
            requireNonNull(host, "host is null");
        }
    }

    /**
     * @param groupKey the group's prefix in etcd, ending in {@code /}
     * @param instance this member's instance id, supervised by this agent
     * @param members every MariaDB of the group, this one included
     * @param firstPrimary the primary the topology names: it takes the lead of a group that never had one
     * @param fence how this member fences its instance; {@code keepUser} is the replication account
     * @param cooldown a failover within this long of the last one is held back
     */
    record Settings(
            String groupKey,
            String instance,
            List<Peer> members,
            String firstPrimary,
            Duration ttl,
            Election.Durability durability,
            int priority,
            boolean promotable,
            String replicationUser,
            String replicationPasswordFile,
            FenceRequest fence,
            Duration cooldown) {
        Settings {
            requireNonNull(groupKey, "groupKey is null");
            if (!groupKey.endsWith("/")) {
                throw new IllegalArgumentException("groupKey %s does not end in /".formatted(groupKey));
            }
            requireNonNull(instance, "instance is null");
            members = List.copyOf(members);
            if (members.stream().noneMatch(peer -> peer.id().equals(instance))) {
                throw new IllegalArgumentException("%s is not a member of its own group".formatted(instance));
            }
            requireNonNull(firstPrimary, "firstPrimary is null");
            requireNonNull(ttl, "ttl is null");
            requireNonNull(durability, "durability is null");
            requireNonNull(replicationUser, "replicationUser is null");
            requireNonNull(replicationPasswordFile, "replicationPasswordFile is null");
            requireNonNull(fence, "fence is null");
            requireNonNull(cooldown, "cooldown is null");
        }

        String leaderKey() {
            return groupKey + "leader";
        }

        String takeoverKey() {
            return groupKey + "takeover";
        }

        String membersKey() {
            return groupKey + "members/";
        }
    }

    /** Where the member stands, as {@code display} and the tables show it. */
    enum Phase {
        STARTING,
        /** Leads the group and takes writes. */
        PRIMARY,
        /** Took, or is taking, the leader key; not yet writable. */
        CANDIDATE,
        /** Replicates from the leader. */
        REPLICA,
        /** No member leads, and this one is not to take the lead now; {@code why} says why. */
        WAITING,
        /** A former primary, read-only, not yet rejoined. */
        FENCED,
        /** A former primary holding transactions the new primary lacks: read-only and out of every pool. */
        QUARANTINED,
        /** Its MariaDB does not answer. */
        DOWN,
        CLOSED
    }

    record Status(Phase phase, String leader, String why) {}

    private final Settings settings;
    private final EtcdClient etcd;
    private final ReplicationAdmin replication;
    private final ProbeRunner probes;
    private final Probe ping;
    private final Map<String, Peer> peers;
    private final ScheduledExecutorService loop;

    // Written by the loop thread only; read by the gateway's checks and by display.
    private volatile PrimaryGuard guard;
    private volatile boolean promoted;
    private volatile Status status = new Status(Phase.STARTING, "", "");

    private long candidateSince;
    private long memberLease;
    private MemberState published;

    GroupMember(
            Settings settings,
            EtcdClient etcd,
            Supervisor supervisor,
            ReplicationAdmin replication,
            ProbeRunner probes) {
        this.settings = requireNonNull(settings, "settings is null");
        this.etcd = requireNonNull(etcd, "etcd is null");
        this.replication = requireNonNull(replication, "replication is null");
        this.probes = requireNonNull(probes, "probes is null");
        SqlAdmin sql = supervisor.spec(settings.instance()).sql();
        if (sql == null) {
            throw new IllegalArgumentException("%s is not reached over SQL".formatted(settings.instance()));
        }
        this.ping = new Probe.SqlPing(sql.host(), sql.port(), sql.user(), sql.passwordFile());
        Map<String, Peer> byId = new LinkedHashMap<>();
        settings.members().forEach(peer -> byId.put(peer.id(), peer));
        this.peers = Map.copyOf(byId);
        this.loop = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("group-member " + settings.instance())
                .daemon()
                .factory());
    }

    GroupMember start() {
        long period = Math.max(200, settings.ttl().toMillis() / 10);
        loop.scheduleWithFixedDelay(this::tick, 0, period, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Whether the instance may take writes: it leads the group, was promoted, and has not lost the lead since. */
    boolean writable() {
        PrimaryGuard current = guard;
        return promoted && current != null && current.writable();
    }

    Status status() {
        return status;
    }

    private void tick() {
        try {
            boolean answers = probes.run(ping).ready();
            ReplicationState state = answers ? replication.state(settings.instance()) : null;
            publish(state);
            Optional<KeyValue> leader = etcd.get(settings.leaderKey());
            Optional<KeyValue> takeoverEntry = etcd.get(settings.takeoverKey());
            Optional<Takeover> takeover = takeoverEntry.flatMap(entry -> Takeover.fromJson(entry.value()));
            if (takeoverEntry.isPresent() && takeover.isEmpty()) {
                // Who was primary is unknown: no one stands, or an old primary might, behind later writes.
                if (guard != null && !promoted) {
                    giveUp("the takeover record is damaged");
                } else if (guard != null) {
                    watchGuard(state, takeover);
                }
                status = new Status(
                        guard != null && promoted ? Phase.PRIMARY : Phase.WAITING,
                        leader.map(KeyValue::value).orElse(""),
                        ("%s does not hold a takeover record Flotilla wrote; no member stands until it is"
                                        + " repaired (put the last primary's record back, or delete it)")
                                .formatted(settings.takeoverKey()));
                return;
            }
            if (guard != null) {
                watchGuard(state, takeover);
            } else if (state == null) {
                status = new Status(Phase.DOWN, leader.map(KeyValue::value).orElse(""), "its MariaDB does not answer");
            } else if (leader.isPresent() && leader.get().value().equals(settings.instance())) {
                stand(state, "its own key outlived a restart of its agent");
            } else if (leader.isPresent()) {
                follow(leader.get().value(), state, takeover);
            } else {
                leaderless(state, takeover);
            }
        } catch (EtcdException e) {
            // Nothing changes without etcd: a guard keeps its own deadline.
            status = new Status(status.phase(), status.leader(), "etcd does not answer: " + e.getMessage());
        } catch (AgentException | IllegalArgumentException e) {
            status = new Status(status.phase(), status.leader(), e.getMessage());
            LOG.log(Level.WARNING, "%s: %s".formatted(settings.instance(), e.getMessage()));
        } catch (RuntimeException e) {
            status = new Status(status.phase(), status.leader(), e.toString());
            LOG.log(Level.ERROR, "%s: group member step failed".formatted(settings.instance()), e);
        }
    }

    /** Publishes the instance's state on the member's own lease, when it changed or the lease was gone. */
    private void publish(ReplicationState state) {
        boolean leaseLive = memberLease != 0 && etcd.keepAlive(memberLease).isPresent();
        if (!leaseLive) {
            memberLease = etcd.grant(settings.ttl());
            published = null;
        }
        MemberState now = memberState(state);
        if (published != null && sameBut(published, now)) {
            return;
        }
        etcd.put(settings.membersKey() + settings.instance(), now.toJson(), memberLease);
        published = now;
    }

    private MemberState memberState(ReplicationState state) {
        if (state == null) {
            return new MemberState(
                    settings.instance(), false, settings.promotable(), settings.priority(), "", "", Instant.now());
        }
        ReplicaStatus source = state.source();
        boolean healthy = source == null || source.sqlRunning().equals("Yes");
        GtidSet applied = GtidSet.parse(state.gtidCurrentPos());
        GtidSet received =
                source == null ? applied : GtidSet.parse(source.gtidIoPos()).union(applied);
        return new MemberState(
                settings.instance(),
                healthy,
                settings.promotable(),
                settings.priority(),
                received.toString(),
                applied.toString(),
                Instant.now());
    }

    private static boolean sameBut(MemberState before, MemberState now) {
        return before.healthy() == now.healthy()
                && before.received().equals(now.received())
                && before.applied().equals(now.applied())
                && before.promotable() == now.promotable()
                && before.priority() == now.priority();
    }

    /** A candidate or primary: promote once the key is taken, give it back when it was not, let go once the lead is lost. */
    private void watchGuard(ReplicationState state, Optional<Takeover> takeover) {
        PrimaryGuard current = guard;
        switch (current.role()) {
            case STARTING -> {
                if (System.nanoTime() - candidateSince > settings.ttl().toNanos()) {
                    giveUp("did not take the leader key within %s".formatted(settings.ttl()));
                }
            }
            case LEADING -> {
                if (!promoted) {
                    promote(state, takeover);
                } else {
                    status = new Status(Phase.PRIMARY, settings.instance(), "");
                }
            }
            case FENCING -> status = new Status(Phase.FENCED, "", current.why());
            case FENCED, FENCE_FAILED, CLOSED -> {
                status = new Status(Phase.FENCED, "", current.why());
                guard = null;
                promoted = false;
                current.close();
            }
        }
    }

    /** Takes the leader key (the guard does, in one transaction); {@link #promote} follows once it is held. */
    private void stand(ReplicationState state, String why) {
        LOG.log(Level.INFO, "%s stands for the lead: %s".formatted(settings.instance(), why));
        candidateSince = System.nanoTime();
        promoted = false;
        guard = new PrimaryGuard(
                        etcd,
                        settings.leaderKey(),
                        settings.instance(),
                        settings.ttl(),
                        () -> probes.run(ping).ready(),
                        replication,
                        settings.fence())
                .start();
        status = new Status(Phase.CANDIDATE, "", why);
    }

    private void promote(ReplicationState state, Optional<Takeover> takeover) {
        String previous = takeover.map(Takeover::primary).orElse("");
        if (state == null) {
            giveUp("its MariaDB stopped answering before it was promoted");
            return;
        }
        if (!previous.isEmpty() && !previous.equals(settings.instance()) && state.source() == null) {
            // A former primary, not the last: what the members after it wrote is not all here.
            giveUp("a former primary; %s was primary after it".formatted(previous));
            return;
        }
        if (!previous.equals(settings.instance()) && state.source() != null) {
            // Between the election and the key, another replica may have received more.
            Election.Decision again = Election.elect(replicas(previous), memberStates(), settings.durability());
            if (!(again instanceof Election.Promote chosen) || !chosen.id().equals(settings.instance())) {
                giveUp("no longer the one to promote: " + again.why());
                return;
            }
        }
        if (state.fenced()) {
            replication.release(settings.instance(), false);
        }
        ReplicationState after;
        try {
            after = replication.promote(settings.instance(), settings.durability() == Election.Durability.SEMI_SYNC);
        } catch (AgentException e) {
            giveUp(e.getMessage());
            return;
        }
        long held = guard == null ? 0 : guard.lease();
        boolean recorded = held != 0
                && (previous.equals(settings.instance())
                        || etcd.putWhileHeld(
                                settings.takeoverKey(),
                                new Takeover(settings.instance(), previous, after.gtidCurrentPos(), Instant.now())
                                        .toJson(),
                                settings.leaderKey(),
                                held));
        if (!recorded || !guard.writable()) {
            // The lead went while it was promoted: another may take over, so this one takes no write.
            giveUp("lost the leader key while it was promoted");
            return;
        }
        promoted = true;
        status = new Status(Phase.PRIMARY, settings.instance(), "");
        LOG.log(
                Level.WARNING,
                "%s is the primary of its group%s, at %s"
                        .formatted(
                                settings.instance(),
                                previous.isEmpty() || previous.equals(settings.instance())
                                        ? ""
                                        : " in place of " + previous,
                                after.gtidCurrentPos()));
    }

    /** Hands the key back, the instance read-only: a promotion that failed half way may have made it writable. */
    private void giveUp(String why) {
        PrimaryGuard current = guard;
        guard = null;
        promoted = false;
        try {
            replication.readOnly(settings.instance());
        } catch (AgentException e) {
            LOG.log(Level.WARNING, "%s: cannot make it read-only: %s".formatted(settings.instance(), e.getMessage()));
        }
        if (current != null) {
            current.close();
        }
        status = new Status(Phase.WAITING, "", why);
        LOG.log(Level.WARNING, "%s does not take the lead: %s".formatted(settings.instance(), why));
    }

    /** Another member leads: replicate from it, after fencing and checking this one when it was a primary. */
    private void follow(String leaderId, ReplicationState state, Optional<Takeover> takeover) {
        Peer leader = peers.get(leaderId);
        if (leader == null) {
            status = new Status(Phase.WAITING, leaderId, "the leader key names %s, not a member".formatted(leaderId));
            return;
        }
        ReplicaStatus source = state.source();
        if (source == null && !state.readOnly()) {
            // A primary that did not know it lost the lead (its agent was down): no more writes first.
            LOG.log(
                    Level.WARNING,
                    "%s is writable while %s leads; fencing it".formatted(settings.instance(), leaderId));
            replication.fence(settings.instance(), settings.fence());
            status = new Status(Phase.FENCED, leaderId, "was writable while %s leads".formatted(leaderId));
            return;
        }
        if (takeover.isEmpty() || !takeover.get().primary().equals(leaderId)) {
            // Not promoted yet: its binary log may not reach where this member's replication stands.
            status = new Status(
                    source == null ? Phase.FENCED : Phase.REPLICA,
                    leaderId,
                    "%s is taking the lead".formatted(leaderId));
            return;
        }
        if (source != null) {
            if (!state.readOnly()) {
                replication.readOnly(settings.instance());
            }
            if (!source.primaryHost().equals(leader.host()) || source.primaryPort() != leader.port()) {
                LOG.log(Level.INFO, "%s replicates from %s now".formatted(settings.instance(), leaderId));
            }
            replication.source(settings.instance(), sourceAt(leader));
            status = new Status(Phase.REPLICA, leaderId, "");
            return;
        }
        GtidSet mine = GtidSet.parse(state.gtidCurrentPos());
        GtidSet taken = GtidSet.parse(takeover.get().position());
        if (!taken.covers(mine)) {
            String errant =
                    mine.beyond(taken).stream().map(GtidSet.Gtid::toString).collect(Collectors.joining(","));
            status = new Status(
                    Phase.QUARANTINED,
                    leaderId,
                    ("holds %s, which %s lacks (it took over at '%s'); it stays read-only until"
                                    + " `flotilla cluster rebuild` re-clones it")
                            .formatted(errant, leaderId, takeover.get().position()));
            return;
        }
        if (state.fenced()) {
            replication.release(settings.instance(), false);
        }
        replication.position(settings.instance(), new GtidPosition(state.gtidCurrentPos()));
        replication.source(settings.instance(), sourceAt(leader));
        status = new Status(Phase.REPLICA, leaderId, "rejoined from '%s'".formatted(state.gtidCurrentPos()));
        LOG.log(Level.WARNING, "%s rejoined as a replica of %s".formatted(settings.instance(), leaderId));
    }

    /** No member leads: the last primary stands when it may; a replica stands when the election picks it. */
    private void leaderless(ReplicationState state, Optional<Takeover> takeover) {
        String last = takeover.map(Takeover::primary).orElse(settings.firstPrimary());
        if (state.source() == null && last.equals(settings.instance())) {
            List<MemberState> reporting = reportingStates();
            List<String> ahead = reporting.stream()
                    .filter(member -> !member.id().equals(settings.instance()))
                    .filter(member -> !GtidSet.parse(state.gtidCurrentPos()).covers(GtidSet.parse(member.received())))
                    .map(MemberState::id)
                    .toList();
            if (ahead.isEmpty()) {
                stand(
                        state,
                        takeover.isEmpty() ? "the group's first primary" : "the last primary, and no one is ahead");
            } else {
                status = new Status(
                        Phase.WAITING, "", "%s received more than it has".formatted(String.join(", ", ahead)));
            }
            return;
        }
        if (takeover.isEmpty()) {
            status = new Status(
                    Phase.WAITING,
                    "",
                    "the group never had a leader; waiting for %s to take the lead".formatted(settings.firstPrimary()));
            return;
        }
        if (state.source() == null) {
            if (!state.readOnly()) {
                LOG.log(
                        Level.WARNING,
                        "%s is writable but not the last primary (%s); fencing it"
                                .formatted(settings.instance(), last));
                replication.fence(settings.instance(), settings.fence());
            }
            status = new Status(Phase.FENCED, "", "a former primary; no member leads to rejoin");
            return;
        }
        Takeover lastTakeover = takeover.get();
        Instant until = lastTakeover.at().plus(settings.cooldown());
        if (!lastTakeover.previous().isEmpty() && Instant.now().isBefore(until)) {
            // Two failovers in a row are more often a flapping cause than two lost primaries: a person decides.
            status = new Status(
                    Phase.WAITING,
                    "",
                    "%s took over from %s at %s; another failover within ha.cooldown (%s) is held back until %s"
                            .formatted(
                                    lastTakeover.primary(),
                                    lastTakeover.previous(),
                                    lastTakeover.at(),
                                    settings.cooldown(),
                                    until));
            return;
        }
        Election.Decision decision = Election.elect(replicas(last), memberStates(), settings.durability());
        if (decision instanceof Election.Promote chosen && chosen.id().equals(settings.instance())) {
            stand(state, decision.why());
        } else {
            status = new Status(Phase.WAITING, "", decision.why());
        }
    }

    /** The group's members but its last primary. */
    private Set<String> replicas(String last) {
        Set<String> replicas = new TreeSet<>(peers.keySet());
        replicas.remove(last);
        return replicas;
    }

    private List<Election.Member> memberStates() {
        List<Election.Member> members = new ArrayList<>();
        for (MemberState state : reportingStates()) {
            members.add(new Election.Member(
                    state.id(),
                    state.healthy(),
                    state.promotable(),
                    state.priority(),
                    GtidSet.parse(state.received()),
                    GtidSet.parse(state.applied())));
        }
        return members;
    }

    /** What the group's members published on their own entries, on a lease; anything else is ignored. */
    private List<MemberState> reportingStates() {
        List<MemberState> states = new ArrayList<>();
        for (KeyValue entry : etcd.prefix(settings.membersKey())) {
            // Only a member's own entry, on a lease (gone with its agent), counts as its report.
            MemberState.fromJson(entry.value())
                    .filter(state -> peers.containsKey(state.id()))
                    .filter(state -> entry.key().equals(settings.membersKey() + state.id()))
                    .filter(state -> entry.lease() != 0)
                    .ifPresent(states::add);
        }
        return states;
    }

    private ReplicationSource sourceAt(Peer leader) {
        return new ReplicationSource(
                leader.host(), leader.port(), settings.replicationUser(), settings.replicationPasswordFile());
    }

    /**
     * Stops taking part. A primary is fenced and hands its key over at once (a planned change); when
     * the fence fails, its key runs out with its lease instead. The member's own entry goes with it.
     */
    @Override
    public void close() {
        stop(true);
    }

    /**
     * Stops taking part and leaves the keys on their leases (the agent stops, or reloads the
     * group's settings): an agent that takes part again within the ttl keeps the lead.
     */
    void abandon() {
        stop(false);
    }

    private void stop(boolean handOver) {
        loop.shutdown();
        try {
            loop.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        PrimaryGuard current = guard;
        guard = null;
        promoted = false;
        if (current != null && handOver && current.role() == PrimaryGuard.Role.LEADING) {
            // A hand-over: no more writes here before another member may take the key.
            try {
                replication.fence(settings.instance(), settings.fence());
            } catch (AgentException e) {
                LOG.log(
                        Level.WARNING,
                        "%s: the fence before the hand-over failed: %s; the key runs out with its lease instead"
                                .formatted(settings.instance(), e.getMessage()));
                current.abandon();
                current = null;
            }
        }
        if (current != null && handOver) {
            current.close();
        } else if (current != null) {
            current.abandon();
        }
        if (memberLease != 0 && handOver) {
            try {
                etcd.revoke(memberLease);
            } catch (EtcdException e) {
                LOG.log(Level.DEBUG, "cannot revoke the member lease: " + e.getMessage());
            }
        }
        status = new Status(Phase.CLOSED, "", "");
    }
}
