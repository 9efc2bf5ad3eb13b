package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.EtcdClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader key of a replication group against a real etcd: one holder at a time, a hand-over,
 * and a holder that gives the lead up before its lease can run out, when its primary is unhealthy
 * and when etcd stops answering (SIGSTOP).
 */
class LeaderLeaseTest {
    private static final Duration TTL = Duration.ofSeconds(2);
    /** When a holder must have given up: ttl minus its margin, and the watch's 100 ms. */
    private static final long GIVE_UP_NANOS =
            TTL.toNanos() * 7 / 10 + Duration.ofMillis(300).toNanos();

    @TempDir
    static Path dir;

    private static TestingEtcd etcd;
    private static EtcdClient client;

    @BeforeAll
    static void startEtcd() throws Exception {
        etcd = new TestingEtcd(dir.resolve("etcd"));
        client = new EtcdClient(List.of(etcd.endpoint()), Duration.ofMillis(500));
    }

    @AfterAll
    static void stopEtcd() {
        client.close();
        etcd.close();
    }

    /** What a holder was told, in order, with when. */
    private record Told(String what, long at) {}

    private static final class Recorder implements LeaderLease.Listener {
        final BlockingQueue<Told> told = new LinkedBlockingQueue<>();

        @Override
        public void acquired(long lease) {
            told.add(new Told("acquired", System.nanoTime()));
        }

        @Override
        public void lost(String why) {
            told.add(new Told("lost: " + why, System.nanoTime()));
        }

        Told next() throws InterruptedException {
            Told next = told.poll(20, TimeUnit.SECONDS);
            assertThat(next).as("told something within 20 s").isNotNull();
            return next;
        }
    }

    private static LeaderLease lease(String key, String holder, AtomicBoolean healthy, Recorder recorder) {
        return new LeaderLease(client, key, holder, TTL, healthy::get, recorder, System::nanoTime).start();
    }

    @Test
    void oneHolderLeadsAndAHandOverLetsTheOtherLeadAtOnce() throws Exception {
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        AtomicBoolean healthy = new AtomicBoolean(true);
        LeaderLease a = lease("g1/leader", "a", healthy, first);
        assertThat(first.next().what()).isEqualTo("acquired");
        try (LeaderLease b = lease("g1/leader", "b", healthy, second)) {
            // b asks every 400 ms; for three ttls it never leads while a renews.
            assertThat(second.told.poll(3 * TTL.toMillis(), TimeUnit.MILLISECONDS))
                    .isNull();
            assertThat(client.get("g1/leader").orElseThrow().value()).isEqualTo("a");
            assertThat(a.held()).isTrue();

            long handedOver = System.nanoTime();
            a.close();
            assertThat(a.held()).isFalse();
            Told taken = second.next();
            assertThat(taken.what()).isEqualTo("acquired");
            assertThat(Duration.ofNanos(taken.at() - handedOver))
                    .as("no wait for the ttl")
                    .isLessThan(TTL);
            assertThat(client.get("g1/leader").orElseThrow().value()).isEqualTo("b");
            assertThat(first.told).isEmpty();
        }
        assertThat(client.get("g1/leader")).as("closing revokes").isEmpty();
    }

    @Test
    void anUnhealthyPrimaryGivesTheLeadUpBeforeItsLeaseCanRunOut() throws Exception {
        Recorder recorder = new Recorder();
        AtomicBoolean healthy = new AtomicBoolean(true);
        try (LeaderLease a = lease("g2/leader", "a", healthy, recorder)) {
            assertThat(recorder.next().what()).isEqualTo("acquired");
            long lastRenewalAtTheLatest = System.nanoTime();
            healthy.set(false);
            Told lost = recorder.next();
            assertThat(lost.what()).isEqualTo("lost: the primary is not healthy, so its lease is not renewed");
            assertThat(lost.at() - lastRenewalAtTheLatest).isLessThan(GIVE_UP_NANOS);
            // The key was still there when it gave up, and goes with the lease.
            assertEventually(
                    Duration.ofSeconds(10),
                    () -> assertThat(client.get("g2/leader")).isEmpty());
            assertThat(a.held()).isFalse();
            healthy.set(true);
            assertThat(recorder.next().what())
                    .as("healthy again, it leads again")
                    .isEqualTo("acquired");
        }
    }

    @Test
    void aHolderWhoseEtcdStopsAnsweringGivesUpBeforeTheLeaseCouldEnd() throws Exception {
        Recorder recorder = new Recorder();
        try (LeaderLease a = lease("g3/leader", "a", new AtomicBoolean(true), recorder)) {
            assertThat(recorder.next().what()).isEqualTo("acquired");
            // Its last answered renewal (or the grant) was sent before etcd freezes.
            long frozen = System.nanoTime();
            new ProcessBuilder("kill", "-STOP", String.valueOf(etcd.pid()))
                    .start()
                    .waitFor();
            Told lost;
            try {
                lost = recorder.next();
            } finally {
                new ProcessBuilder("kill", "-CONT", String.valueOf(etcd.pid()))
                        .start()
                        .waitFor();
            }
            assertThat(lost.what()).startsWith("lost: ");
            // Its last answered renewal was sent before the freeze: it gave up within ttl of it, with margin to fence.
            assertThat(lost.at() - frozen).isLessThan(GIVE_UP_NANOS);
            assertThat(a.held()).isFalse();
        }
    }

    @Test
    void aHolderRestartedKeepsTheLeaseItsKeyIsOn() throws Exception {
        // What an agent that restarted finds: its own key, on a lease still alive.
        long earlier = client.grant(Duration.ofSeconds(30));
        assertThat(client.createIfAbsent("g4/leader", "a", earlier)).isTrue();
        Recorder recorder = new Recorder();
        try (LeaderLease a = lease("g4/leader", "a", new AtomicBoolean(true), recorder)) {
            assertThat(recorder.next().what()).isEqualTo("acquired");
            assertThat(client.get("g4/leader").orElseThrow().lease()).isEqualTo(earlier);
        }
        assertThat(client.keepAlive(earlier)).as("handed over on close").isEmpty();
    }
}
