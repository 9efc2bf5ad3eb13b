package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

        String afterScaleIn = ScaleOut.without(cluster, "c.yaml", second);
        Topology after = TopologyParser.parseStored(afterScaleIn, "c.yaml");
        // The third keeps 3, the id it runs with, instead of taking the second's place and its 2.
        assertThat(after.instances("mariadb").stream().map(after::serverId)).containsExactly(1L, 3L);

        ScaleOut out = ScaleOut.read(
                "c1", afterScaleIn, "c.yaml", "mariadb_servers:\n  - host: 10.0.0.4\n", "new.yaml", Map.of());
        assertThat(out.merged().serverId(out.added().getFirst())).isEqualTo(4L);

        assertThatThrownBy(() -> ScaleOut.read(
                        "c1",
                        afterScaleIn,
                        "c.yaml",
                        "mariadb_servers:\n  - host: 10.0.0.4\n    server_id: 3\n",
                        "new.yaml",
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
        ScaleOut out =
                ScaleOut.read("c1", cluster, "c.yaml", "mariadb_servers:\n  - host: 10.0.0.4\n", "new.yaml", Map.of());
        assertThat(out.added().getFirst().id()).isEqualTo("10.0.0.4:3306");
        assertThatThrownBy(() -> ScaleOut.read(
                        "c1", cluster, "c.yaml", "mariadb_servers:\n  - host: db_4\n", "new.yaml", Map.of()))
                .isInstanceOf(TopologyException.class)
                .hasMessageContaining("new.yaml:2:")
                .hasMessageContaining("'db_4'");
    }
}
