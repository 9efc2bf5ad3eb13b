package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SchemasTest {
    @Test
    void sectionsComeInTiupOrderThenFlotillas() {
        assertThat(Schemas.sections())
                .extracting(ComponentSchema::section)
                .containsExactly(
                        "pd_servers",
                        "tso_servers",
                        "scheduling_servers",
                        "tidb_dashboard_servers",
                        "tiproxy_servers",
                        "tikv_servers",
                        "pump_servers",
                        "tidb_servers",
                        "tiflash_servers",
                        "drainer_servers",
                        "cdc_servers",
                        "kvcdc_servers",
                        "monitoring_servers",
                        "grafana_servers",
                        "alertmanager_servers",
                        "mariadb_servers",
                        "haproxy_servers",
                        "etcd_servers");
    }

    @Test
    void mainPortsAndDefaultsMatchTiup() {
        assertThat(Schemas.PD.mainPort()).isEqualTo(new PortSpec("client_port", 2379));
        assertThat(Schemas.TIDB.ports())
                .containsExactly(new PortSpec("port", 4000), new PortSpec("status_port", 10080));
        assertThat(Schemas.TIKV.ports())
                .containsExactly(new PortSpec("port", 20160), new PortSpec("status_port", 20180));
        assertThat(Schemas.TIFLASH.ports())
                .extracting(PortSpec::field, PortSpec::defaultPort)
                .containsExactly(
                        tuple("tcp_port", 9000),
                        tuple("http_port", 8123),
                        tuple("flash_service_port", 3930),
                        tuple("flash_proxy_port", 20170),
                        tuple("flash_proxy_status_port", 20292),
                        tuple("metrics_port", 8234));
        assertThat(Schemas.PROMETHEUS.ports())
                .containsExactly(new PortSpec("port", 9090), new PortSpec("ng_port", 12020));
        assertThat(Schemas.ALERTMANAGER.mainPort()).isEqualTo(new PortSpec("web_port", 9093));
        assertThat(Schemas.NODE_EXPORTER.mainPort()).isEqualTo(new PortSpec("node_exporter_port", 9100));
        assertThat(Schemas.BLACKBOX_EXPORTER.mainPort()).isEqualTo(new PortSpec("blackbox_exporter_port", 9115));
    }

    @Test
    void statelessComponentsHaveNoDataDir() {
        assertThat(Schemas.sections())
                .filteredOn(schema -> !schema.stateful())
                .extracting(ComponentSchema::component)
                .containsExactly("tiproxy", "tidb", "grafana", "haproxy");
    }

    @Test
    void everySectionNamesItsFieldsOnce() {
        for (ComponentSchema schema : Schemas.sections()) {
            Set<String> fields = new HashSet<>(schema.extraFields());
            for (PortSpec port : schema.ports()) {
                assertThat(fields.add(port.field()))
                        .as("%s declares %s twice", schema.section(), port.field())
                        .isTrue();
            }
        }
    }

    @Test
    void componentsAndSectionsAreUnique() {
        List<ComponentSchema> sections = Schemas.sections();
        assertThat(sections).extracting(ComponentSchema::component).doesNotHaveDuplicates();
        assertThat(sections).extracting(ComponentSchema::section).doesNotHaveDuplicates();
    }

    @Test
    void findsSchemasBySectionAndComponent() {
        assertThat(Schemas.bySection("tidb_dashboard_servers")).contains(Schemas.TIDB_DASHBOARD);
        assertThat(Schemas.byComponent("tidb_dashboard")).contains(Schemas.TIDB_DASHBOARD);
        assertThat(Schemas.byComponent("node_exporter")).contains(Schemas.NODE_EXPORTER);
        assertThat(Schemas.bySection("monitored")).isEmpty();
        assertThat(Schemas.byComponent("tispark")).isEmpty();
    }

    @Test
    void monitoringPartsAreKnown() {
        assertThat(Schemas.sections())
                .filteredOn(Schemas::isMonitoring)
                .extracting(ComponentSchema::section)
                .containsExactly("monitoring_servers", "grafana_servers", "alertmanager_servers");
        assertThat(Schemas.isMonitoring(Schemas.NODE_EXPORTER)).isTrue();
        assertThat(Schemas.isMonitoring(Schemas.MARIADB)).isFalse();
    }

    @Test
    void refusesSchemaWithoutPort() {
        assertThatThrownBy(() -> new ComponentSchema("x", "x_servers", "x", List.of(), false, Set.of(), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("component x has no port");
        assertThatThrownBy(() -> new PortSpec("port", 70000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("default port 70000 of port is out of range");
    }
}
