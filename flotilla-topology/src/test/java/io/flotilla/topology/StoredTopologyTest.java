package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A cluster's stored topology was accepted by the Flotilla that deployed it: the rules added since
 * for new input must not make the cluster unmanageable, and a new instance must not take a running
 * one's server_id.
 */
class StoredTopologyTest {
    /** What an earlier Flotilla accepted and today's refuses: a host with '_', a system folder, a tab-free control character. */
    private static final String OLD = """
            global:
              user: tidb
              deploy_dir: /srv/deploy
            mariadb_servers:
              - host: db_1
                data_dir: /var/lib/mysql
              - host: 10.0.0.2
                server_id: 1
            haproxy_servers:
              - host: 10.0.0.2
                config:
                  note: "a\\u0007b"
            """;

    @Test
    void aStoredTopologyKeepsWhatNewRulesRefuseAsProblemsOfItsOwn() {
        Topology stored = TopologyParser.parseStored(OLD, "meta/topology.yaml");

        assertThat(stored.instances("mariadb")).hasSize(2);
        assertThat(stored.admissionProblems().stream().map(Problem::toString))
                .satisfiesExactly(
                        first -> assertThat(first)
                                .startsWith("meta/topology.yaml:5:5:")
                                .contains("/var/lib/mysql"),
                        second -> assertThat(second)
                                .startsWith("meta/topology.yaml:5:11:")
                                .contains("'db_1'"),
                        third -> assertThat(third)
                                .contains("server_id conflict for 1 between 'db_1:3306' and '10.0.0.2:3306'"),
                        fourth -> assertThat(fourth)
                                .startsWith("meta/topology.yaml:12:")
                                .contains("U+0007"));
        assertThatThrownBy(() -> TopologyParser.parse(OLD, "new.yaml"))
                .isInstanceOf(TopologyException.class)
                .hasMessageContaining("new.yaml:5:")
                .hasMessageContaining("server_id conflict");
    }

    @Test
    void whatMakesATopologyUnreadableIsRefusedEvenWhenStored() {
        assertThatThrownBy(() -> TopologyParser.parseStored("mariadb_servers:\n  - port: 3306\n", "t.yaml"))
                .isInstanceOf(TopologyException.class)
                .hasMessageContaining("has no host");
        assertThat(TopologyParser.parse("mariadb_servers:\n  - host: 10.0.0.1\n", "t.yaml")
                        .admissionProblems())
                .isEmpty();
    }

    @Test
    void aServerIdTakenTwiceIsRefusedWhetherGivenOrTakenFromThePlace() {
        assertThatThrownBy(() -> TopologyParser.parse("""
                        mariadb_servers:
                          - host: 10.0.0.1
                            server_id: 2
                          - host: 10.0.0.2
                        """, "t.yaml"))
                .isInstanceOf(TopologyException.class)
                .hasMessage("t.yaml:4:5: server_id conflict for 2 between '10.0.0.1:3306' and '10.0.0.2:3306':"
                        + " mariadb 10.0.0.1:3306 at line 2 and mariadb 10.0.0.2:3306 at line 4; give each its own"
                        + " server_id (an instance without one takes its place in the list, from 1)");
    }

    @Test
    void scaleInAndOutNeverGiveARunningInstanceSIdToAnother() {
        String cluster = """
                mariadb_servers:
                  - host: 10.0.0.1
                  - host: 10.0.0.2
                  - host: 10.0.0.3
                """;
        Topology before = TopologyParser.parse(cluster, "c.yaml");
        Instance second = before.instances("mariadb").get(1);

        String afterScaleIn = ScaleOut.without(cluster, "c.yaml", second, Map.of());
        Topology after = TopologyParser.parseStored(afterScaleIn, "c.yaml");
        // The third keeps 3, the id it runs with, instead of taking the second's place and its 2.
        assertThat(after.instances("mariadb").stream().map(after::serverId)).containsExactly(1L, 3L);

        ScaleOut out = ScaleOut.read(
                "c1", afterScaleIn, "c.yaml", "mariadb_servers:\n  - host: 10.0.0.4\n", "new.yaml", Map.of(), Map.of());
        assertThat(out.merged().serverId(out.added().getFirst())).isEqualTo(4L);

        assertThatThrownBy(() -> ScaleOut.read(
                        "c1",
                        afterScaleIn,
                        "c.yaml",
                        "mariadb_servers:\n  - host: 10.0.0.4\n    server_id: 3\n",
                        "new.yaml",
                        Map.of(),
                        Map.of()))
                .isInstanceOf(TopologyException.class)
                .hasMessageStartingWith("new.yaml:2:5: server_id conflict for 3");
    }

    @Test
    void aScaleOutOfAnOldClusterIsRefusedOnlyForItsOwnLines() {
        String cluster = """
                mariadb_servers:
                  - host: db_1
                  - host: 10.0.0.2
                """;
        ScaleOut out = ScaleOut.read(
                "c1", cluster, "c.yaml", "mariadb_servers:\n  - host: 10.0.0.4\n", "new.yaml", Map.of(), Map.of());
        assertThat(out.added().getFirst().id()).isEqualTo("10.0.0.4:3306");
        assertThatThrownBy(() -> ScaleOut.read(
                        "c1", cluster, "c.yaml", "mariadb_servers:\n  - host: db_4\n", "new.yaml", Map.of(), Map.of()))
                .isInstanceOf(TopologyException.class)
                .hasMessageContaining("new.yaml:2:")
                .hasMessageContaining("'db_4'");
    }

    /**
     * What an older Flotilla left after scaling in the first of three unpinned replicas: the two
     * that stayed moved up a place in the file, but run with the ids 2 and 3 they started with.
     */
    private static final String SCALED_IN_BY_AN_OLDER_FLOTILLA = """
            mariadb_servers:
              - host: 10.0.0.2
                role: primary
              - host: 10.0.0.3
            """;

    private static final Map<String, Long> RUNNING = Map.of("10.0.0.2:3306", 2L, "10.0.0.3:3306", 3L);

    private static ScaleOut scaleOut(String cluster, String fragment, Map<String, Long> running) {
        return ScaleOut.read("c1", cluster, "c.yaml", fragment, "new.yaml", Map.of(), running);
    }

    private static List<Long> serverIds(Topology topology) {
        return topology.instances("mariadb").stream().map(topology::serverId).toList();
    }

    @Test
    void aNewReplicaTakesAnIdAboveTheOnesTheRunningServersReport() {
        ScaleOut out = scaleOut(SCALED_IN_BY_AN_OLDER_FLOTILLA, "mariadb_servers:\n  - host: 10.0.0.4\n", RUNNING);

        // By their places the two run 1 and 2, and the new one would take 3, the id 10.0.0.3 runs with.
        assertThat(serverIds(out.merged())).containsExactly(2L, 3L, 4L);
        assertThat(TopologyParser.parse(out.mergedYaml(), "c.yaml").instances("mariadb").stream()
                        .map(instance -> instance.field("server_id").orElseThrow()))
                .containsExactly("2", "3", "4");
    }

    @Test
    void anIdTheRunningServersReportIsRefusedWhenTheScaleOutFileGivesIt() {
        assertThatThrownBy(() -> scaleOut(
                        SCALED_IN_BY_AN_OLDER_FLOTILLA,
                        "mariadb_servers:\n  - host: 10.0.0.4\n    server_id: 3\n",
                        RUNNING))
                .isInstanceOf(TopologyException.class)
                .hasMessageStartingWith(
                        "new.yaml:2:5: server_id conflict for 3 between '10.0.0.3:3306' and '10.0.0.4:3306'");
    }

    @Test
    void aNewReplicaWithoutAnIdSkipsTheIdsTheScaleOutFileGivesOthers() {
        String cluster = """
                mariadb_servers:
                  - host: 10.0.0.1
                  - host: 10.0.0.2
                    server_id: 7
                """;
        ScaleOut out = scaleOut(cluster, """
                mariadb_servers:
                  - host: 10.0.0.3
                  - host: 10.0.0.4
                    server_id: 8
                  - host: 10.0.0.5
                  - host: 10.0.0.6
                    server_id: 10
                  - host: 10.0.0.7
                """, Map.of());

        assertThat(serverIds(out.merged())).containsExactly(1L, 7L, 9L, 8L, 11L, 10L, 12L);
    }

    @Test
    void scaleInAndSwitchoverPinTheIdsTheServersRunWith() {
        String yaml = SCALED_IN_BY_AN_OLDER_FLOTILLA + "  - host: 10.0.0.5\n";
        Topology stored = TopologyParser.parseStored(yaml, "c.yaml");
        Map<String, Long> running = Map.of("10.0.0.2:3306", 2L, "10.0.0.3:3306", 3L, "10.0.0.5:3306", 5L);

        String afterScaleIn =
                ScaleOut.without(yaml, "c.yaml", stored.instances("mariadb").get(2), running);
        assertThat(serverIds(TopologyParser.parse(afterScaleIn, "c.yaml"))).containsExactly(2L, 3L);

        String afterSwitchover =
                ScaleOut.withPrimary(yaml, "c.yaml", stored.instances("mariadb").get(1), running);
        Topology switched = TopologyParser.parse(afterSwitchover, "c.yaml");
        assertThat(serverIds(switched)).containsExactly(2L, 3L, 5L);
        assertThat(switched.instances("mariadb").get(1).field("role")).contains("primary");
    }

    @Test
    void aMovedClusterWithAnInstanceThatDoesNotReportItsIdIsNotChanged() {
        // 10.0.0.3 is stopped: by its place it would run 2, the id 10.0.0.2 runs with.
        Map<String, Long> oneSilent = Map.of("10.0.0.2:3306", 2L);
        assertThatThrownBy(() ->
                        scaleOut(SCALED_IN_BY_AN_OLDER_FLOTILLA, "mariadb_servers:\n  - host: 10.0.0.4\n", oneSilent))
                .isInstanceOf(TopologyException.class)
                .hasMessage("c.yaml:4:5: the server_id of mariadb 10.0.0.3:3306 is not known: the topology does not pin"
                        + " it and it does not report one (not running, or its agent is out of reach), and the ids of this"
                        + " cluster moved since it was deployed (10.0.0.2:3306 runs with 2, its place gives 1); start it"
                        + " first (`flotilla cluster start CLUSTER -N 10.0.0.3:3306`)");
        Topology stored = TopologyParser.parseStored(SCALED_IN_BY_AN_OLDER_FLOTILLA, "c.yaml");
        assertThatThrownBy(() -> ScaleOut.withPrimary(
                        SCALED_IN_BY_AN_OLDER_FLOTILLA,
                        "c.yaml",
                        stored.instances("mariadb").get(0),
                        oneSilent))
                .isInstanceOf(TopologyException.class);
        // Scaling the silent one in is what an operator does with a dead host: its id goes with it.
        String afterScaleIn = ScaleOut.without(
                SCALED_IN_BY_AN_OLDER_FLOTILLA,
                "c.yaml",
                stored.instances("mariadb").get(1),
                oneSilent);
        assertThat(serverIds(TopologyParser.parse(afterScaleIn, "c.yaml"))).containsExactly(2L);
        // A cluster whose ids never moved keeps its places as the ids of those that do not report.
        assertThat(serverIds(scaleOut(
                                SCALED_IN_BY_AN_OLDER_FLOTILLA,
                                "mariadb_servers:\n  - host: 10.0.0.4\n",
                                Map.of("10.0.0.2:3306", 1L))
                        .merged()))
                .containsExactly(1L, 2L, 3L);
    }

    @Test
    void twoServersRunningWithOneIdAreNotChanged() {
        assertThatThrownBy(() -> scaleOut(
                        SCALED_IN_BY_AN_OLDER_FLOTILLA,
                        "mariadb_servers:\n  - host: 10.0.0.4\n",
                        Map.of("10.0.0.2:3306", 2L, "10.0.0.3:3306", 2L)))
                .isInstanceOf(TopologyException.class)
                .hasMessageContaining("mariadb 10.0.0.2:3306 and 10.0.0.3:3306 would both have server_id 2");
    }

    /**
     * The cluster's settings were accepted with it: a scale-out reads them as stored, so a value
     * that only a newer rule refuses (here a control character) neither refuses the scale-out nor
     * gets a position past the end of the scale-out file. The file's own lines meet every rule.
     */
    @Test
    void aScaleOutHoldsOnlyItsOwnLinesToTheNewerRules() {
        String cluster = """
                server_configs:
                  mariadb:
                    init_connect: "SET @note = 'a\\u0007b'"
                mariadb_servers:
                  - host: 10.0.0.1
                """;
        assertThat(TopologyParser.parseStored(cluster, "c.yaml").admissionProblems())
                .hasSize(1);

        ScaleOut out = scaleOut(cluster, "mariadb_servers:\n  - host: 10.0.0.2\n", Map.of());
        assertThat(out.added().stream().map(Instance::id)).contains("10.0.0.2:3306");

        assertThatThrownBy(() -> scaleOut(
                        cluster,
                        "mariadb_servers:\n  - host: 10.0.0.2\n    config: { note: \"b\\u0007\" }\n",
                        Map.of()))
                .isInstanceOf(TopologyException.class)
                .hasMessage("new.yaml:3:21: 'b\\u0007' holds a control character (U+0007); write the value without it"
                        + " (a YAML block scalar keeps its last line break unless written '|-')");
    }
}
