package io.flotilla.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.catalog.Catalog;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import org.junit.jupiter.api.Test;

class SwitchoverPlannerTest {
    private static final Topology CLUSTER = TopologyParser.parse("""
            mariadb_servers:
              - host: 10.0.0.1
              - host: 10.0.0.2
              - host: 10.0.0.3
            haproxy_servers:
              - host: 10.0.0.1
            """, "cluster.yaml");

    @Test
    void theNewPrimaryAppliedAllWhenItsSlavePositionEndsAtTheOldPrimarysLastWrite() {
        assertThat(SwitchoverPlanner.appliedAll("0-1-42", "0-1-42")).isTrue();
        assertThat(SwitchoverPlanner.appliedAll("0-1-42,1-3-7", "0-1-42")).isTrue();
        assertThat(SwitchoverPlanner.appliedAll("", "")).isTrue();
        assertThat(SwitchoverPlanner.appliedAll("0-1-42", "0-1-43"))
                .as("a write after the fence")
                .isFalse();
        assertThat(SwitchoverPlanner.appliedAll("0-1-42", "0-1-43,1-3-7")).isFalse();
        assertThat(SwitchoverPlanner.appliedAll("", "0-1-1")).isFalse();
    }

    @Test
    void theCandidateMustBeAMariaDbInstanceOfTheCluster() {
        assertThat(SwitchoverPlanner.candidate(Catalog.standard(), "c1", CLUSTER, "10.0.0.2:3306")
                        .id())
                .isEqualTo("10.0.0.2:3306");
        assertThatThrownBy(() -> SwitchoverPlanner.candidate(Catalog.standard(), "c1", CLUSTER, "10.0.0.9:3306"))
                .hasMessage(
                        "10.0.0.9:3306 is not an instance of cluster 'c1'; its MariaDB replicas are 10.0.0.2:3306, 10.0.0.3:3306");
        assertThatThrownBy(() -> SwitchoverPlanner.candidate(Catalog.standard(), "c1", CLUSTER, "10.0.0.1:4000"))
                .hasMessage(
                        "10.0.0.1:4000 is a haproxy instance, not a MariaDB replica of cluster 'c1'; its MariaDB replicas are 10.0.0.2:3306, 10.0.0.3:3306");
        assertThatThrownBy(() -> SwitchoverPlanner.candidate(Catalog.standard(), "c1", CLUSTER, "10.0.0.1:9100"))
                .as("an exporter is not offered")
                .hasMessageStartingWith("10.0.0.1:9100 is not an instance of cluster 'c1'");
    }
}
