package io.flotilla.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.topology.TopologyParser;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SelectionTest {
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
