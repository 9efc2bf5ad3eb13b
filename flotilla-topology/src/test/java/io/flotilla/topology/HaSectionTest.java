package io.flotilla.topology;

import static io.flotilla.topology.TopologyValidationTest.messages;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The topology's {@code ha} section and each MariaDB's own {@code ha}: defaults, values, and what is refused where. */
class HaSectionTest {
    private static final String ETCD_AND_THREE_MARIADB = """
            etcd_servers:
              - host: 10.0.0.1
              - host: 10.0.0.2
              - host: 10.0.0.3
            mariadb_servers:
              - host: 10.0.0.1
              - host: 10.0.0.2
              - host: 10.0.0.3
            """;

    @Test
    void failoverIsOffUnlessAskedForAndSemiSyncWithTwoReplicas() {
        Topology topology = TopologyParser.parse(ETCD_AND_THREE_MARIADB, "t.yaml");
        assertThat(topology.ha()).isEqualTo(HaOptions.DEFAULT);
        assertThat(topology.ha().enabled(topology)).isFalse();
        Topology asked = TopologyParser.parse("ha: {enabled: true}\n" + ETCD_AND_THREE_MARIADB, "t.yaml");
        assertThat(asked.ha().enabled(asked)).isTrue();
        assertThat(topology.ha().durability(topology)).isEqualTo("semi_sync");
        assertThat(topology.ha().ttlSeconds()).isEqualTo(10);
        assertThat(topology.ha().cooldownSeconds()).isEqualTo(300);
        assertThat(topology.instances("mariadb")).allSatisfy(mariadb -> {
            assertThat(HaOptions.priority(mariadb)).isZero();
            assertThat(HaOptions.promotable(mariadb)).isTrue();
        });
    }

    @Test
    void oneReplicaIsAsyncByDefault() {
        Topology one = TopologyParser.parse("""
                ha: {enabled: true}
                etcd_servers:
                  - host: 10.0.0.1
                mariadb_servers:
                  - host: 10.0.0.1
                  - host: 10.0.0.2
                """, "t.yaml");
        assertThat(one.ha().enabled(one)).isTrue();
        assertThat(one.ha().durability(one)).isEqualTo("async");
    }

    @Test
    void readsTheSectionAndEachMariadbsOwnSay() {
        Topology topology = TopologyParser.parse("""
                ha:
                  enabled: true
                  ttl: 5s
                  durability: async
                  cooldown: 2m
                  semi_sync_timeout: 500ms
                etcd_servers:
                  - host: 10.0.0.1
                mariadb_servers:
                  - host: 10.0.0.1
                  - host: 10.0.0.2
                    ha: {priority: 10}
                  - host: 10.0.0.3
                    ha:
                      no_promotion: true
                """, "t.yaml");
        assertThat(topology.ha())
                .isEqualTo(new HaOptions(Optional.of(true), 5, Optional.of("async"), 120, Optional.of(500L)));
        assertThat(topology.instances("mariadb"))
                .extracting(HaOptions::priority, HaOptions::promotable)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(0, true),
                        org.assertj.core.groups.Tuple.tuple(10, true),
                        org.assertj.core.groups.Tuple.tuple(0, false));
        assertThat(TopologyParser.parse("ha: {ttl: 30}\n" + ETCD_AND_THREE_MARIADB, "t.yaml")
                        .ha()
                        .ttlSeconds())
                .as("plain seconds")
                .isEqualTo(30);
    }

    @Test
    void badValuesAreRefusedWhereTheyAre() {
        assertThat(messages("""
                        ha:
                          ttl: 1s
                          durability: sync
                          cooldwn: 5m
                          semi_sync_timeout: soon
                        """ + ETCD_AND_THREE_MARIADB))
                .containsExactly(
                        "t.yaml:2:8: ha.ttl '1s' is not a duration within 2s..300s; write seconds (10) or a number"
                                + " with ms, s, m or h (10s, 5m)",
                        "t.yaml:3:15: ha.durability 'sync' is not valid; use 'semi_sync' (no promotion can lose an"
                                + " acknowledged write) or 'async' (a promotion may lose what the primary had not sent)",
                        "t.yaml:4:3: unknown key 'cooldwn' in ha; did you mean 'cooldown'?",
                        "t.yaml:5:22: ha.semi_sync_timeout 'soon' is not a duration within 1ms..4294967295ms; write"
                                + " seconds (10) or a number with ms, s, m or h (10s, 5m)");
        assertThat(messages("""
                        mariadb_servers:
                          - host: 10.0.0.1
                            ha: {priority: 2000, promote: false}
                          - host: 10.0.0.2
                            ha: {no_promotion: maybe}
                        """))
                .containsExactly(
                        "t.yaml:3:20: ha.priority 2000 of mariadb_servers[0] (10.0.0.1:3306) is outside 0..1000",
                        "t.yaml:3:26: unknown key 'promote' in mariadb_servers[0].ha; expected one of: no_promotion,"
                                + " priority",
                        "t.yaml:5:24: expected true or false for no_promotion, got 'maybe'");
    }

    @Test
    void failoverAskedForWhatItCannotRunOnIsRefused() {
        assertThat(messages("""
                        ha: {enabled: true, durability: semi_sync}
                        mariadb_servers:
                          - host: 10.0.0.1
                        """))
                .containsExactly(
                        "t.yaml:1:1: ha.enabled is true but the topology has no etcd_servers, where the agents keep"
                                + " the leader lease; add etcd_servers (three, on three hosts, keep a quorum when one is"
                                + " lost)",
                        "t.yaml:1:1: ha.enabled is true but the topology has 1 MariaDB instance; failover needs a"
                                + " primary and at least one replica in mariadb_servers",
                        "t.yaml:1:1: ha.durability is semi_sync but there is no MariaDB replica to acknowledge writes;"
                                + " add replicas or use async");
        assertThat(messages("""
                        ha: {enabled: true}
                        etcd_servers:
                          - host: 10.0.0.1
                        mariadb_servers:
                          - host: 10.0.0.1
                            ha: {no_promotion: true}
                          - host: 10.0.0.2
                            ha: {no_promotion: true}
                        """))
                .containsExactly("t.yaml:1:1: every MariaDB has ha.no_promotion: true, so no failover could promote"
                        + " any; remove it from one");
    }
}
