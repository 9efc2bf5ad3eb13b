package io.flotilla.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the core asks of the kinds without naming them: roles, membership, scale-in rules, endpoints. */
class FacetsTest {
    private final Catalog catalog = Catalog.standard();

    private final Topology cluster = TopologyParser.parse("""
            mariadb_servers:
              - { host: 10.0.0.1, role: primary }
              - { host: 10.0.0.2, role: replica }
            haproxy_servers: [ { host: 10.0.0.1 } ]
            etcd_servers: [ { host: 10.0.0.1 } ]
            monitoring_servers: [ { host: 10.0.0.2 } ]
            alertmanager_servers: [ { host: 10.0.0.2 } ]
            """, "t.yaml");

    @Test
    void rolesComeFromTheReplicationFacet() {
        assertThat(catalog.replicated(cluster))
                .extracting(Instance::id)
                .containsExactly("10.0.0.1:3306", "10.0.0.2:3306");
        assertThat(catalog.primary(cluster)).map(Instance::id).contains("10.0.0.1:3306");
        assertThat(cluster.instances())
                .filteredOn(catalog::isReplica)
                .extracting(Instance::id)
                .containsExactly("10.0.0.2:3306");
        assertThat(catalog.primary(TopologyParser.parse("etcd_servers: [ { host: 10.0.0.1 } ]", "t.yaml")))
                .isEmpty();
    }

    @Test
    void onlyPeersHaveAMembershipAndOnlyExportersRunOnEveryHost() {
        assertThat(cluster.instances().stream()
                        .filter(instance -> catalog.kind(instance).membership().isPresent())
                        .map(Instance::component)
                        .distinct())
                .containsExactly("etcd");
        assertThat(cluster.instances().stream()
                        .filter(instance -> catalog.kind(instance).everyHost())
                        .map(Instance::component)
                        .distinct())
                .containsExactlyInAnyOrder("node_exporter", "blackbox_exporter");
    }

    @Test
    void theKindsThatRunAsPodsSayWhichReplicaCountsAreSafe() {
        assertThat(catalog.kinds().stream()
                        .filter(kind -> kind.kubernetes().isPresent())
                        .map(ComponentKind::name))
                .containsExactly("pd", "tikv", "tidb", "mariadb", "haproxy");
        KubernetesPods pd = catalog.kind("pd").kubernetes().orElseThrow();
        assertThat(pd.scaleRefusal("pd", 2)).isPresent();
        assertThat(pd.scaleRefusal("pd", 3)).isEmpty();
        assertThat(pd.scaleRefusal("pd", 3, 4)).as("PD's members are fixed").isPresent();
        KubernetesPods tikv = catalog.kind("tikv").kubernetes().orElseThrow();
        assertThat(tikv.scaleRefusal("tikv", 5, 4)).isEmpty();
        assertThat(tikv.scaleRefusal("tikv", 5, 3)).as("one store at a time").isPresent();
        assertThat(tikv.afterScale("tikv", "c-tikv", 5, 4)).isPresent();
        KubernetesPods mariadb = catalog.kind("mariadb").kubernetes().orElseThrow();
        assertThat(mariadb.scaleRefusal("mariadb-primary", 2)).isPresent();
        assertThat(mariadb.scaleRefusal("mariadb-replica", 0)).isEmpty();
        assertThat(mariadb.secretKeys()).containsExactly("replication-password");
        assertThat(catalog.kind("tidb").kubernetes().orElseThrow().scaleRefusal("tidb", 0))
                .isPresent();
        assertThat(catalog.kind("haproxy").kubernetes().orElseThrow().missing(cluster))
                .isEmpty();
        assertThat(catalog.kind("tidb")
                        .kubernetes()
                        .orElseThrow()
                        .missing(TopologyParser.parse("tidb_servers: [ { host: 10.0.0.1 } ]", "t.yaml")))
                .hasSize(2);
        assertThat(catalog.replicatedName(cluster)).isEqualTo("MariaDB");
    }

    @Test
    void theKindsSayWhatMayNotLeave() {
        List<String> refusals = cluster.instances().stream()
                .flatMap(instance -> catalog.kind(instance).scaleInRefusal("c", cluster, instance).stream())
                .toList();
        assertThat(refusals)
                .containsExactly(
                        "10.0.0.1:3306 is the MariaDB primary of cluster 'c': every write goes to it. Switch it over to a replica as it leaves with --switchover-to HOST:PORT (its replicas: 10.0.0.2:3306), or first with `flotilla cluster switchover c --to HOST:PORT`",
                        "10.0.0.1:4000 is the only gateway of cluster 'c': clients reach MariaDB through it. Scale out another haproxy instance first",
                        "10.0.0.1:2379 is the last etcd member of cluster 'c'; etcd would lose its data with it. Add another member first, or destroy the cluster");
    }

    @Test
    void endpointsComeInTheirOwnOrderWhateverTheSectionsOrder() {
        assertThat(catalog.endpoints(cluster))
                .containsExactly(
                        Map.entry(Endpoints.MYSQL, "10.0.0.1:4000"),
                        Map.entry(Endpoints.MYSQL_READ, "10.0.0.1:4001"),
                        Map.entry(Endpoints.PROMETHEUS, "10.0.0.2:9090"),
                        Map.entry(Endpoints.ALERTMANAGER, "10.0.0.2:9093"),
                        Map.entry(Endpoints.ETCD, "10.0.0.1:2379"));
        Topology noGateway = TopologyParser.parse("""
                mariadb_servers: [ { host: 10.0.0.1 } ]
                """, "t.yaml");
        assertThat(catalog.endpoints(noGateway)).containsExactly(Map.entry(Endpoints.MYSQL, "10.0.0.1:3306"));
    }
}
