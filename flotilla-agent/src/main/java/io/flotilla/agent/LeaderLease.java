package io.flotilla.agent;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.EtcdClient;
import io.flotilla.agent.api.EtcdClient.EtcdException;
import io.flotilla.agent.api.EtcdClient.KeyValue;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * One replication group's leader key in etcd, held by the agent of its primary on a lease of
 * {@code ttl}: taken when free (or when this holder's own key outlived an agent restart), renewed
 * every {@code ttl / 5} while the primary is healthy, and given up on purpose by {@link #close}.
 *
 * <p>etcd ends a lease {@code ttl} after the last keep-alive it received, which is after the last one
 * this side sent. So once {@code ttl - margin} has passed since the sending of the last keep-alive
 * etcd answered, this side no longer knows it leads: {@link Listener#lost} is told then, with
 * {@code margin} ({@code 3/10} of the ttl) left to fence the primary before anyone can take the key.
 * A watch apart from the calls to etcd keeps that deadline, so a member that hangs cannot delay it.
 * An unhealthy primary is not renewed for; its lease runs out the same way.
 */
final class LeaderLease implements AutoCloseable {
    /** Told from the lease's own threads, one call at a time. */
    interface Listener {
        /** The key is this holder's, on {@code lease}. */
        void acquired(long lease);

        /** This holder may no longer lead: fence now. */
        void lost(String why);
    }

    private final EtcdClient etcd;
    private final String key;
    private final String holder;
    private final Duration ttl;
    private final BooleanSupplier healthy;
    private final Listener listener;
    private final LongSupplier nanoTime;
    private final ScheduledExecutorService loop;

    /** The lease this holder leads on, 0 when it does not; changed under {@code this}. */
    private volatile long lease;
    /** When the keep-alive (or grant) etcd last answered was sent, in {@link #nanoTime} units. */
    private volatile long renewedAt;
    /** Why the last renewal was not made, for the watch to say; null after one was. */
    private volatile String notRenewed;

    LeaderLease(
            EtcdClient etcd,
            String key,
            String holder,
            Duration ttl,
            BooleanSupplier healthy,
            Listener listener,
            LongSupplier nanoTime) {
        this.etcd = requireNonNull(etcd, "etcd is null");
        this.key = requireNonNull(key, "key is null");
        this.holder = requireNonNull(holder, "holder is null");
        this.ttl = requireNonNull(ttl, "ttl is null");
        if (ttl.toSeconds() < 2) {
            throw new IllegalArgumentException("a leader lease needs a ttl of 2 s or more, got " + ttl);
        }
        this.healthy = requireNonNull(healthy, "healthy is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.nanoTime = requireNonNull(nanoTime, "nanoTime is null");
        // One thread talks to etcd, the other keeps the deadline while it waits.
        this.loop = Executors.newScheduledThreadPool(
                2, Thread.ofPlatform().name("leader-lease " + key).daemon().factory());
    }

    LeaderLease start() {
        long period = ttl.toMillis() / 5;
        loop.scheduleWithFixedDelay(this::tick, 0, period, TimeUnit.MILLISECONDS);
        loop.scheduleWithFixedDelay(
                () -> checkDeadline(notRenewed == null ? "etcd did not answer a renewal in time" : notRenewed),
                100,
                100,
                TimeUnit.MILLISECONDS);
        return this;
    }

    /** Whether this holder leads as far as it knows: its last renewal is recent enough. */
    boolean held() {
        return lease != 0;
    }

    /** The lease this holder leads on, 0 when it does not. */
    long lease() {
        return lease;
    }

    /** When the last renewal (or grant) etcd answered was sent, in {@code nanoTime} units; 0 before any. */
    long lastRenewalSent() {
        return renewedAt;
    }

    private void tick() {
        try {
            if (lease != 0) {
                renew();
            } else if (healthy.getAsBoolean()) {
                take();
            }
        } catch (RuntimeException e) {
            // etcd unreachable or refusing: renew() measures the deadline; the next tick tries again.
            if (lease != 0) {
                notRenewed = "etcd: " + e.getMessage();
                checkDeadline(notRenewed);
            }
        }
    }

    private void renew() {
        if (!healthy.getAsBoolean()) {
            notRenewed = "the primary is not healthy, so its lease is not renewed";
            checkDeadline(notRenewed);
            return;
        }
        long held = lease;
        long sent = nanoTime.getAsLong();
        Optional<Duration> left;
        try {
            left = etcd.keepAlive(held);
        } catch (EtcdException e) {
            notRenewed = "cannot renew the lease: " + e.getMessage();
            checkDeadline(notRenewed);
            return;
        }
        if (left.isEmpty()) {
            lose(held, "etcd no longer has lease %x (it expired or was revoked)".formatted(held));
            return;
        }
        renewed(held, sent);
    }

    private synchronized void renewed(long held, long sent) {
        if (lease == held) {
            renewedAt = sent;
            notRenewed = null;
        }
    }

    private void take() {
        Optional<KeyValue> current = etcd.get(key);
        if (current.isPresent()) {
            KeyValue leader = current.get();
            if (!leader.value().equals(holder) || leader.lease() == 0) {
                return; // someone else leads
            }
            // This holder's key from before an agent restart: keep its lease going.
            long sent = nanoTime.getAsLong();
            if (etcd.keepAlive(leader.lease()).isPresent()) {
                acquire(leader.lease(), sent);
            }
            return;
        }
        long sent = nanoTime.getAsLong();
        long granted = etcd.grant(ttl);
        boolean taken;
        try {
            taken = etcd.createIfAbsent(key, holder, granted);
        } catch (RuntimeException e) {
            etcd.revoke(granted);
            throw e;
        }
        if (taken) {
            acquire(granted, sent);
        } else {
            etcd.revoke(granted);
        }
    }

    private synchronized void acquire(long granted, long sent) {
        renewedAt = sent;
        notRenewed = null;
        lease = granted;
        listener.acquired(granted);
    }

    /** Gives the lead up once {@code ttl - margin} has passed since the last renewal etcd answered. */
    private synchronized void checkDeadline(String why) {
        long margin = ttl.toNanos() * 3 / 10;
        if (lease != 0 && nanoTime.getAsLong() - renewedAt >= ttl.toNanos() - margin) {
            lose(lease, why);
        }
    }

    private synchronized void lose(long held, String why) {
        if (lease == held && held != 0) {
            lease = 0;
            listener.lost(why);
        }
    }

    /** Stops renewing and revokes the lease when held, so that another may lead at once (a hand-over). */
    @Override
    public void close() {
        stop(true);
    }

    /**
     * Stops renewing and leaves the lease as it is (the agent stops or reloads its settings): the
     * key stays this holder's until its ttl runs out, and an agent started again within it takes the
     * lease back without a failover.
     */
    void abandon() {
        stop(false);
    }

    private void stop(boolean revoke) {
        loop.shutdownNow();
        try {
            loop.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long held;
        synchronized (this) {
            held = lease;
            lease = 0;
        }
        if (held != 0 && revoke) {
            try {
                etcd.revoke(held);
            } catch (EtcdException ignored) {
                // It runs out by itself within its ttl.
            }
        }
    }
}
