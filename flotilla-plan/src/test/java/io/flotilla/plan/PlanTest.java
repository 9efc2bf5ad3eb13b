package io.flotilla.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.topology.TopologyParser;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlanTest {
    private static Plan plan(String... ids) {
        return Plan.builder("start", "c1")
                .then(Step.parallel(
                        "Start tier",
                        List.of(ids).stream()
                                .map(id -> Step.action(id, "launch " + id, "h", () -> {}))
                                .toList()))
                .build();
    }

    @Test
    void aDryRunShowsTheTreeOfSteps() {
        assertThat(plan("a", "b").render()).isEqualTo("""
                start c1: 2 steps
                  Start tier (in parallel)
                    - launch a
                    - launch b
                """);
    }

    @Test
    void theFingerprintNamesTheSameWork() {
        assertThat(plan("a", "b").fingerprint()).isEqualTo(plan("a", "b").fingerprint());
        assertThat(plan("a", "b").fingerprint()).isNotEqualTo(plan("a", "c").fingerprint());
    }

    @Test
    void actionIdsAreUnique() {
        assertThatThrownBy(() -> plan("a", "a")).hasMessage("plan start has two actions with id a");
    }

    @Test
    void aSelectionNamesWhatTheClusterHas() {
        var topology = TopologyParser.parse("""
                mariadb_servers: [ { host: 127.0.0.1 }, { host: 127.0.0.1, port: 3307 } ]
                """, "t.yaml");
        new Selection(Set.of("mariadb"), Set.of("127.0.0.1:3307")).check(topology);
        assertThatThrownBy(() -> new Selection(Set.of("tikv"), Set.of()).check(topology))
                .hasMessage(
                        "role 'tikv' is not in the cluster; its roles are blackbox_exporter, mariadb, node_exporter");
        assertThat(new Selection(Set.of(), Set.of("127.0.0.1:3307"))
                        .matches(topology.instances().get(1)))
                .isTrue();
        assertThat(new Selection(Set.of(), Set.of("127.0.0.1:3307"))
                        .matches(topology.instances().get(0)))
                .isFalse();
    }
}
