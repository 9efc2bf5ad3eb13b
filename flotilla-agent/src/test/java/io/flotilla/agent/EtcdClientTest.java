package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.api.EtcdClient;
import io.flotilla.agent.api.EtcdClient.EtcdException;
import io.flotilla.agent.api.EtcdClient.KeyValue;
import io.flotilla.agent.api.MemberState;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The etcd client that leader leases use, against a real etcd: leases, compare-and-set, members that cannot be reached. */
class EtcdClientTest {
    @TempDir
    static Path dir;

    private static TestingEtcd etcd;
    private static EtcdClient client;

    @BeforeAll
    static void startEtcd() throws Exception {
        etcd = new TestingEtcd(dir.resolve("etcd"));
        client = new EtcdClient(List.of(etcd.endpoint()), Duration.ofSeconds(2));
    }

    @AfterAll
    static void stopEtcd() {
        client.close();
        etcd.close();
    }

    @Test
    void onlyTheFirstOfTwoCandidatesTakesAKeyAndItGoesWithItsLease() {
        long first = client.grant(Duration.ofSeconds(30));
        long second = client.grant(Duration.ofSeconds(30));
        assertThat(client.createIfAbsent("c1/leader", "10.0.0.1:3306", first)).isTrue();
        assertThat(client.createIfAbsent("c1/leader", "10.0.0.2:3306", second)).isFalse();
        KeyValue leader = client.get("c1/leader").orElseThrow();
        assertThat(leader.value()).isEqualTo("10.0.0.1:3306");
        assertThat(leader.lease()).isEqualTo(first);
        assertThat(client.keepAlive(first))
                .hasValueSatisfying(ttl -> assertThat(ttl.toSeconds()).isBetween(29L, 30L));

        client.revoke(first);
        assertThat(client.get("c1/leader")).isEmpty();
        assertThat(client.keepAlive(first)).isEmpty();
        client.revoke(first); // gone already: no error
        assertThat(client.createIfAbsent("c1/leader", "10.0.0.2:3306", second)).isTrue();
        client.revoke(second);
    }

    @Test
    void aLeaseNotKeptAliveExpiresWithItsKey() {
        long lease = client.grant(Duration.ofSeconds(1));
        assertThat(client.createIfAbsent("c2/leader", "a", lease)).isTrue();
        Instant granted = Instant.now();
        assertEventually(
                Duration.ofSeconds(10),
                () -> assertThat(client.get("c2/leader")).isEmpty());
        assertThat(Duration.between(granted, Instant.now())).isGreaterThan(Duration.ofMillis(500));
        assertThat(client.keepAlive(lease)).isEmpty();
    }

    @Test
    void aChangeOnAStaleRevisionIsRefused() {
        client.put("c3/state", "one", 0);
        KeyValue read = client.get("c3/state").orElseThrow();
        assertThat(client.replaceIf("c3/state", read.modRevision(), "two", 0)).isTrue();
        assertThat(client.replaceIf("c3/state", read.modRevision(), "three", 0))
                .as("read before the change")
                .isFalse();
        assertThat(client.deleteIf("c3/state", read.modRevision())).isFalse();
        KeyValue now = client.get("c3/state").orElseThrow();
        assertThat(now.value()).isEqualTo("two");
        assertThat(client.deleteIf("c3/state", now.modRevision())).isTrue();
        assertThat(client.get("c3/state")).isEmpty();
        assertThat(client.delete("c3/state")).isFalse();
    }

    @Test
    void onlyTheHolderOfAKeysLeaseWritesWhatItGuards() {
        long mine = client.grant(Duration.ofSeconds(30));
        long theirs = client.grant(Duration.ofSeconds(30));
        assertThat(client.createIfAbsent("c6/leader", "me", mine)).isTrue();
        assertThat(client.putWhileHeld("c6/takeover", "theirs", "c6/leader", theirs))
                .as("a lease that does not hold the key")
                .isFalse();
        assertThat(client.get("c6/takeover")).isEmpty();
        assertThat(client.putWhileHeld("c6/takeover", "mine", "c6/leader", mine))
                .isTrue();
        assertThat(client.get("c6/takeover").orElseThrow().value()).isEqualTo("mine");
        client.revoke(mine);
        assertThat(client.putWhileHeld("c6/takeover", "late", "c6/leader", mine))
                .as("the key went with its lease")
                .isFalse();
        assertThat(client.get("c6/takeover").orElseThrow().value()).isEqualTo("mine");
        client.revoke(theirs);
    }

    @Test
    void aPrefixReadsItsKeysAloneInOrder() {
        client.put("c4/health/b", "2", 0);
        client.put("c4/health/a", "1", 0);
        client.put("c4/healthy", "not below the prefix", 0);
        client.put("c4/health\u00e9", "nor this", 0);
        assertThat(client.prefix("c4/health/").stream().map(KeyValue::key))
                .containsExactly("c4/health/a", "c4/health/b");
        assertThatThrownBy(() -> client.prefix("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMembersStateReadsBackFromItsEntryAndAStrangeEntryIsNone() {
        MemberState state = new MemberState(
                "10.0.0.2:3306", true, true, 0, "0-1-42", "0-1-40", Instant.parse("2026-12-07T16:00:00Z"));
        client.put("c7/members/10.0.0.2:3306", state.toJson(), 0);
        client.put("c7/members/10.0.0.3:3306", "{\"id\": 1, \"received\": \"not a gtid\"}", 0);
        List<MemberState> read = client.prefix("c7/members/").stream()
                .flatMap(entry -> MemberState.fromJson(entry.value()).stream())
                .toList();
        assertThat(read).containsExactly(state);
        assertThat(MemberState.fromJson("{")).isEmpty();
        assertThat(MemberState.fromJson("null")).isEmpty();
    }

    @Test
    void aMemberThatCannotBeReachedIsPassedForTheNext() throws Exception {
        URI dead = URI.create("http://127.0.0.1:" + TestingEtcd.freePort());
        try (EtcdClient both = new EtcdClient(List.of(dead, etcd.endpoint()), Duration.ofSeconds(2))) {
            both.put("c5/k", "v", 0);
            assertThat(both.get("c5/k").orElseThrow().value()).isEqualTo("v");
        }
        try (EtcdClient none = new EtcdClient(List.of(dead), Duration.ofSeconds(2))) {
            assertThatThrownBy(() -> none.get("c5/k"))
                    .isInstanceOf(EtcdException.class)
                    .hasMessageStartingWith("etcd %s cannot be reached: ".formatted(dead));
        }
    }

    @Test
    void aStoppedMemberTimesOutWithinTheBound() throws Exception {
        try (EtcdClient quick = new EtcdClient(List.of(etcd.endpoint()), Duration.ofMillis(500))) {
            quick.put("c6/k", "v", 0);
            new ProcessBuilder("kill", "-STOP", String.valueOf(etcd.pid()))
                    .start()
                    .waitFor();
            try {
                Instant asked = Instant.now();
                assertThatThrownBy(() -> quick.get("c6/k"))
                        .isInstanceOf(EtcdException.class)
                        .hasMessageContaining("cannot be reached");
                assertThat(Duration.between(asked, Instant.now())).isLessThan(Duration.ofSeconds(3));
            } finally {
                new ProcessBuilder("kill", "-CONT", String.valueOf(etcd.pid()))
                        .start()
                        .waitFor();
            }
            assertEventually(
                    Duration.ofSeconds(10),
                    () -> assertThat(quick.get("c6/k").orElseThrow().value()).isEqualTo("v"));
        }
    }
}
