package io.flotilla.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogTest {
    private final Catalog catalog = Catalog.standard();

    @Test
    void tidbStartsInTiupsOrderWithIndependentTiersSideBySide() {
        Topology topology = TopologyParser.parse("""
                pd_servers: [ { host: 10.0.1.1 } ]
                tikv_servers: [ { host: 10.0.1.2 } ]
                tidb_servers: [ { host: 10.0.1.3 } ]
                tiflash_servers: [ { host: 10.0.1.4 } ]
                cdc_servers: [ { host: 10.0.1.5 } ]
                monitoring_servers: [ { host: 10.0.1.6 } ]
                grafana_servers: [ { host: 10.0.1.6 } ]
                alertmanager_servers: [ { host: 10.0.1.6 } ]
                """, "t.yaml");
        assertThat(catalog.startLayers(topology))
                .containsExactly(
                        List.of("pd", "alertmanager", "node_exporter", "blackbox_exporter"),
                        List.of("tikv", "prometheus"),
                        List.of("tidb", "cdc", "grafana"),
                        List.of("tiflash"));
    }

    @Test
    void mariadbReplicasStartAfterThePrimaryAndTheGatewayAfterBoth() {
        Topology topology = TopologyParser.parse("""
                mariadb_servers:
                  - { host: 127.0.0.1, role: primary }
                  - { host: 127.0.0.1, port: 3307, role: replica }
                haproxy_servers: [ { host: 127.0.0.1 } ]
                etcd_servers: [ { host: 127.0.0.1 } ]
                """, "t.yaml");
        assertThat(catalog.startLayers(topology))
                .containsExactly(
                        List.of("etcd", "node_exporter", "blackbox_exporter"),
                        List.of("mariadb-primary"),
                        List.of("mariadb-replica"),
                        List.of("haproxy"));
    }

    @Test
    void everyTopologySectionHasAKind() {
        io.flotilla.topology.Schemas.sections()
                .forEach(schema ->
                        assertThat(catalog.kind(schema.component()).schema()).isEqualTo(schema));
    }
}
