package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ScaleOutTest {
    /** Roles left implicit: the first MariaDB is the primary. */
    private static final String CLUSTER = """
            global:
              user: root
              deploy_dir: /srv/deploy
              data_dir: /srv/data
            server_configs:
              mariadb:
                max_connections: 500
            mariadb_servers:
              - host: 10.0.0.1
              - host: 10.0.0.2
            haproxy_servers:
              - host: 10.0.0.1
            etcd_servers:
              - host: 10.0.0.1
            """;

    private static ScaleOut read(String fragment) {
        return ScaleOut.read("c1", CLUSTER, "cluster.yaml", fragment, "new.yaml", Map.of(), Map.of());
    }

    @Test
    void newInstancesTakeTheClusterSettingsAndAMariaDbWithoutRoleIsAReplica() {
        ScaleOut scaleOut = read("""
                mariadb_servers:
                  - host: 10.0.0.3
                """);
        assertThat(scaleOut.added().stream().map(instance -> instance.component() + " " + instance.id()))
                .containsExactly(
                        "mariadb 10.0.0.3:3306", "node_exporter 10.0.0.3:9100", "blackbox_exporter 10.0.0.3:9115");
        Instance replica = scaleOut.added().getFirst();
        assertThat(replica.field("role")).contains("replica");
        assertThat(replica.dataDir()).isEqualTo("/srv/data/mariadb-3306");
        assertThat(replica.config()).containsEntry("max_connections", 500L);
        // The primary stays the primary though the merged file now names roles.
        assertThat(scaleOut.merged().instances("mariadb").stream()
                        .map(instance ->
                                instance.id() + " " + instance.field("role").orElseThrow()))
                .containsExactly("10.0.0.1:3306 primary", "10.0.0.2:3306 replica", "10.0.0.3:3306 replica");
        assertThat(TopologyParser.parse(scaleOut.mergedYaml(), "cluster.yaml").instances())
                .isEqualTo(scaleOut.merged().instances());
    }

    @Test
    void everyProblemIsReportedAtItsPlaceInTheFragment() {
        assertThatThrownBy(() -> read("""
                        global:
                          user: tidb
                        mariadb_servers:
                          - host: 10.0.0.2
                            port: 2379
                          - host: 10.0.0.4
                            role: primary
                        etcd_servers:
                          - host: 10.0.0.5
                        """))
                .isInstanceOf(TopologyException.class)
                .hasMessage("""
                        new.yaml:1:1: 'global' cannot be set by a scale-out file: the new instances take global, monitored and server_configs from cluster 'c1'; list only instance sections such as mariadb_servers (an instance's own settings go in its 'config')""");
        assertThatThrownBy(() -> read("""
                        mariadb_servers:
                          - host: 10.0.0.2
                            port: 2379
                          - host: 10.0.0.4
                            role: primary
                        etcd_servers:
                          - host: 10.0.0.5
                        """))
                .isInstanceOf(TopologyException.class)
                .hasMessage("""
                        new.yaml:4:5: scale-out adds MariaDB replicas only: 10.0.0.4:3306 is 'role: primary' and cluster 'c1' already has its primary 10.0.0.1:3306; set 'role: replica'""");
    }

    @Test
    void aPortOfAnExistingInstanceOnTheSameHostIsAConflict() {
        assertThatThrownBy(() -> read("""
                        haproxy_servers:
                          - host: 10.0.0.1
                            port: 3306
                        """))
                .isInstanceOf(TopologyException.class)
                .hasMessageStartingWith(
                        "new.yaml:2:5: port conflict for '3306' with cluster 'c1': 'haproxy_servers:10.0.0.1.port' (haproxy 10.0.0.1:3306 at line 2) is already used by 'mariadb_servers:10.0.0.1.port' (mariadb 10.0.0.1:3306) of cluster 'c1'");
    }

    @Test
    void scaleInDropsTheInstanceAndKeepsThePrimary() {
        Topology topology = TopologyParser.parse(CLUSTER, "cluster.yaml");
        Instance replica = topology.instance("10.0.0.2:3306").orElseThrow();
        Topology after =
                TopologyParser.parse(ScaleOut.without(CLUSTER, "cluster.yaml", replica, Map.of()), "cluster.yaml");
        assertThat(after.instances("mariadb").stream()
                        .map(instance ->
                                instance.id() + " " + instance.field("role").orElseThrow()))
                .containsExactly("10.0.0.1:3306 primary");
        assertThat(after.hosts()).containsExactly("10.0.0.1");
    }

    @Test
    void aNewEtcdMemberJoinsTheExistingCluster() {
        ScaleOut scaleOut = read("""
                etcd_servers:
                  - host: 10.0.0.5
                """);
        Instance member = scaleOut.merged().instance("10.0.0.5:2379").orElseThrow();
        assertThat(member.field("initial_cluster_state")).contains("existing");
        assertThat(scaleOut.merged().instance("10.0.0.1:2379").orElseThrow().field("initial_cluster_state"))
                .isEmpty();
    }

    @Test
    void anUnknownInitialClusterStateIsRefusedAtItsPlace() {
        assertThatThrownBy(() -> TopologyParser.parse("""
                        etcd_servers:
                          - host: 10.0.0.1
                            initial_cluster_state: joined
                        """, "t.yaml"))
                .isInstanceOf(TopologyException.class)
                .hasMessageContaining(
                        "t.yaml:3:28: initial_cluster_state 'joined' of etcd_servers[0] (10.0.0.1:2379) is not valid; use 'new' (a member of the first deploy) or 'existing' (a member that joins a running cluster)");
    }

    @Test
    void aSwitchoverSwapsTheRolesAndKeepsTheOrder() {
        Topology topology = TopologyParser.parse(CLUSTER, "cluster.yaml");
        Instance replica = topology.instance("10.0.0.2:3306").orElseThrow();
        Topology after =
                TopologyParser.parse(ScaleOut.withPrimary(CLUSTER, "cluster.yaml", replica, Map.of()), "cluster.yaml");
        assertThat(after.instances("mariadb").stream()
                        .map(instance ->
                                instance.id() + " " + instance.field("role").orElseThrow()))
                .containsExactly("10.0.0.1:3306 replica", "10.0.0.2:3306 primary");
        assertThat(after.instances().stream().map(Instance::id))
                .containsExactlyElementsOf(
                        topology.instances().stream().map(Instance::id).toList());
    }
}
