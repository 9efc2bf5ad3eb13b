package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TopologyGeneratorTest {
    @Test
    void aGeneratedThousandInstanceTopologyParsesWithoutProblems() {
        Topology topology = TopologyParser.parse(TopologyGenerator.generate(1_000), "generated.yaml");

        long declared = topology.instances().stream()
                .filter(instance -> !Claim.isExporter(instance))
                .count();
        assertThat(declared).isEqualTo(1_000);
        // 8 instances on the first host, 5 on the next two (PD), 4 on the others
        assertThat(topology.hosts()).hasSize(249);
        assertThat(topology.instances()).hasSize(1_000 + 2 * 249);
        Map<String, Long> perComponent = topology.instances().stream()
                .collect(Collectors.groupingBy(Instance::component, Collectors.counting()));
        assertThat(perComponent)
                .containsEntry("pd", 3L)
                .containsEntry("tikv", 2 * 249L)
                .containsEntry("tidb", 248L)
                .containsEntry("prometheus", 1L)
                .containsEntry("grafana", 1L)
                .containsEntry("alertmanager", 1L)
                .containsKeys("tiflash", "cdc", "tiproxy");
        assertThat(TopologyConflicts.between(topology, Map.of())).isEmpty();
    }

    @Test
    void generatesExactlyTheInstancesAskedFor() {
        for (int size : new int[] {1, 2, 7, 10, 333}) {
            Topology topology = TopologyParser.parse(TopologyGenerator.generate(size), "generated.yaml");
            assertThat(topology.instances().stream().filter(instance -> !Claim.isExporter(instance)))
                    .as("%d instances", size)
                    .hasSize(size);
        }
        assertThat(TopologyParser.parse(TopologyGenerator.generate(1), "generated.yaml")
                        .instances())
                .extracting(Instance::component)
                .containsExactly("pd", "node_exporter", "blackbox_exporter");
    }

    @Test
    void validatesTenThousandInstances() {
        Topology topology = TopologyParser.parse(TopologyGenerator.generate(10_000), "generated.yaml");
        Map<String, Instance> byId =
                topology.instances().stream().collect(Collectors.toMap(Instance::id, Function.identity()));
        assertThat(byId).hasSize(topology.instances().size());
    }

    @Test
    void refusesAnEmptyTopology() {
        assertThatThrownBy(() -> TopologyGenerator.generate(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a topology needs at least 1 instance, got 0");
    }
}
