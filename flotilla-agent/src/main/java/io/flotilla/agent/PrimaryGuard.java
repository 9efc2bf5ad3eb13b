package io.flotilla.agent;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.EtcdClient;
import io.flotilla.agent.api.FenceRequest;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Keeps one MariaDB primary writable only while its agent leads the replication group: it holds the
 * group's leader key ({@link LeaderLease}) while the primary passes its probe, and once the lead is
 * lost (etcd unreachable, the primary unhealthy, the lease gone) it fences the primary at once
 * (read_only, client sessions killed but replication's, a global read lock), before the lease can
 * run out and another member take the key. {@link #writable} is what the gateway's agent-check
 * answers for the write pool.
 *
 * <p>A guard that lost the lead does not take it back by itself: while it was fenced another member
 * may have been promoted, and a primary that wrote on would diverge. It stays fenced and says why;
 * rejoining the group as a replica is a decision made with the group's state in hand.
 */
final class PrimaryGuard implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PrimaryGuard.class.getName());

    /** What the guard knows of its primary. */
    enum Role {
        /** Not yet leading: the key is taken when free and the primary healthy. */
        STARTING,
        /** Holds the leader key: the primary takes writes. */
        LEADING,
        /** Lost the lead; the fence is being taken. */
        FENCING,
        /** Lost the lead and fenced the primary. */
        FENCED,
        /**
         * Lost the lead and could not fence the primary (it did not answer): its lease runs out all
         * the same, and the primary is fenced from outside or by the gateway following the lease.
         */
        FENCE_FAILED,
        /** Handed the lead over on purpose ({@link #close}). */
        CLOSED
    }

    private final String instance;
    private final ReplicationAdmin replication;
    private final FenceRequest fence;
    private final LeaderLease lease;
    private final ExecutorService fencing = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("primary-guard").daemon().factory());

    private volatile Role role = Role.STARTING;
    private volatile String why = "";
    private volatile long fencedAt;

    /**
     * @param key the group's leader key
     * @param healthy whether the primary passes its probe now
     * @param fence how the primary is fenced once the lead is lost; {@code keepUser} is the
     *     replication account, whose sessions replicas keep
     */
    PrimaryGuard(
            EtcdClient etcd,
            String key,
            String instance,
            Duration ttl,
            BooleanSupplier healthy,
            ReplicationAdmin replication,
            FenceRequest fence) {
        this.instance = requireNonNull(instance, "instance is null");
        this.replication = requireNonNull(replication, "replication is null");
        this.fence = requireNonNull(fence, "fence is null");
        requireNonNull(healthy, "healthy is null");
        // Once the lead is lost the lease neither renews nor takes the key again, even before the fence is done.
        this.lease = new LeaderLease(
                etcd,
                key,
                instance,
                ttl,
                () -> (role == Role.STARTING || role == Role.LEADING) && healthy.getAsBoolean(),
                new Told(),
                System::nanoTime);
    }

    PrimaryGuard start() {
        lease.start();
        return this;
    }

    /** Whether the primary may take writes: the guard leads and has not lost the lead since. */
    boolean writable() {
        return role == Role.LEADING && lease.held();
    }

    /** The lease the guard leads on, 0 when it does not: what a write only the leader may make is conditioned on. */
    long lease() {
        return role == Role.LEADING ? lease.lease() : 0;
    }

    Role role() {
        return role;
    }

    /** Why the lead was lost, and what the fence did; empty while leading. */
    String why() {
        return why;
    }

    /** When the fence was in place ({@link System#nanoTime}), 0 before. */
    long fencedAt() {
        return fencedAt;
    }

    /** When the last renewal etcd answered was sent: the lease cannot end before this plus the ttl. */
    long lastRenewalSent() {
        return lease.lastRenewalSent();
    }

    private final class Told implements LeaderLease.Listener {
        @Override
        public void acquired(long held) {
            if (role == Role.STARTING) {
                role = Role.LEADING;
                why = "";
                LOG.log(Level.INFO, "%s leads its replication group on lease %x".formatted(instance, held));
            }
        }

        @Override
        public void lost(String reason) {
            synchronized (PrimaryGuard.this) {
                if (role != Role.LEADING) {
                    return; // handed over meanwhile
                }
                role = Role.FENCING;
                why = reason;
            }
            LOG.log(Level.WARNING, "%s lost the lead (%s); fencing it".formatted(instance, reason));
            // The lease's own threads keep its deadline: the fence, which waits on the server, runs apart.
            fencing.execute(PrimaryGuard.this::fenceAfterLoss);
        }
    }

    private void fenceAfterLoss() {
        try {
            replication.fence(instance, fence);
            fencedAt = System.nanoTime();
            role = Role.FENCED;
            why = why + "; fenced (read_only, client sessions ended, read lock held)";
            LOG.log(Level.WARNING, "%s is fenced: %s".formatted(instance, why));
        } catch (RuntimeException e) {
            role = Role.FENCE_FAILED;
            why = why + "; the fence failed: " + e.getMessage();
            LOG.log(Level.ERROR, "%s: %s".formatted(instance, why));
        }
        // Not back by itself: the lease stops trying to take the key.
        lease.close();
    }

    /** Hands the lead over: the key goes at once, and the primary is left as it is (a planned change fences it itself). */
    @Override
    public void close() {
        stop(true);
    }

    /**
     * Stops guarding and leaves the key on its lease until the ttl runs out: the agent stops, and
     * one started again within the ttl takes the lead back without a failover. Until then nothing
     * fences the primary should it fail.
     */
    void abandon() {
        stop(false);
    }

    private void stop(boolean handOver) {
        synchronized (this) {
            if (role == Role.LEADING || role == Role.STARTING) {
                role = Role.CLOSED;
            }
        }
        // Outside the lock: the lease's threads, which this waits for, may be telling it the lead was lost.
        if (handOver) {
            lease.close();
        } else {
            lease.abandon();
        }
        fencing.shutdown();
        try {
            fencing.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
