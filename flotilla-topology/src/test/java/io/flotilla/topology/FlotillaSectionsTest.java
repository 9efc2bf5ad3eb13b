package io.flotilla.topology;

import static io.flotilla.topology.TopologyValidationTest.messages;
import static io.flotilla.topology.TopologyValidationTest.problems;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Flotilla's own sections: MariaDB with GTID replication, HAProxy in front of it, etcd. */
class FlotillaSectionsTest {
    @Test
    void readsMariadbHaproxyAndEtcdWithTheirDefaults() {
        Topology topology = TopologyParser.parse(TopologyParserTest.text("flotilla.yaml"), "flotilla.yaml");

        assertThat(topology.instances())
                .filteredOn(instance -> !Claim.isExporter(instance))
                .extracting(Instance::component, Instance::id, Instance::deployDir, Instance::dataDir)
                .containsExactly(
                        tuple("etcd", "10.0.2.1:2379", "/opt/flotilla/etcd-2379", "/var/lib/flotilla/etcd-2379"),
                        tuple("etcd", "10.0.2.2:2379", "/opt/flotilla/etcd-2379", "/var/lib/flotilla/etcd-2379"),
                        tuple(
                                "mariadb",
                                "10.0.2.1:3306",
                                "/opt/flotilla/mariadb-3306",
                                "/var/lib/flotilla/mariadb-3306"),
                        tuple(
                                "mariadb",
                                "10.0.2.2:3306",
                                "/opt/flotilla/mariadb-3306",
                                "/var/lib/flotilla/mariadb-3306"),
                        tuple("haproxy", "10.0.2.3:4000", "/opt/flotilla/haproxy-4000", null));
        assertThat(topology.instances("etcd"))
                .extracting(instance -> instance.field("name").orElseThrow())
                .containsExactly("etcd-10.0.2.1-2379", "etcd-b");
        assertThat(topology.instance("10.0.2.3:4000").orElseThrow().ports())
                .containsExactly(Map.entry("port", 4000), Map.entry("read_port", 4001), Map.entry("stats_port", 8404));

        Instance primary = topology.instance("10.0.2.1:3306").orElseThrow();
        assertThat(primary.fields()).containsEntry("role", "primary").containsEntry("server_id", 1L);
        assertThat(primary.config()).isEqualTo(Map.of("binlog_format", "ROW", "gtid_strict_mode", true));
        Instance replica = topology.instance("10.0.2.2:3306").orElseThrow();
        assertThat(replica.fields()).containsEntry("role", "replica");
        assertThat(replica.config())
                .containsExactly(
                        Map.entry("binlog_format", "ROW"),
                        Map.entry("gtid_strict_mode", true),
                        Map.entry("innodb_buffer_pool_size", "2G"));

        assertThat(topology.autoscale())
                .isEqualTo(Map.of("haproxy", Map.of("min", 1L, "max", 4L, "target_cpu_percent", 80L)));
        assertThat(topology.hosts()).containsExactly("10.0.2.1", "10.0.2.2", "10.0.2.3");
    }

    @Test
    void withoutRolesTheFirstMariadbIsThePrimary() {
        Topology topology = TopologyParser.parse("""
                mariadb_servers:
                  - host: 10.0.0.1
                  - host: 10.0.0.2
                  - host: 10.0.0.3
                """, "t.yaml");
        assertThat(topology.instances("mariadb"))
                .extracting(instance -> instance.field("role").orElseThrow())
                .containsExactly("primary", "replica", "replica");
    }

    @Test
    void withSomeRolesTheUnnamedOnesAreReplicas() {
        Topology topology = TopologyParser.parse("""
                mariadb_servers:
                  - host: 10.0.0.1
                  - host: 10.0.0.2
                    role: primary
                  - host: 10.0.0.3
                """, "t.yaml");
        assertThat(topology.instances("mariadb"))
                .extracting(instance -> instance.field("role").orElseThrow())
                .containsExactly("replica", "primary", "replica");
    }

    @Test
    void mariadbRoleIsPrimaryOrReplica() {
        List<Problem> problems = problems("""
                mariadb_servers:
                  - host: 10.0.0.1
                    role: master
                  - host: 10.0.0.2
                    role: replica
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly("t.yaml:3:11: role 'master' of mariadb_servers[0] (10.0.0.1:3306) is not valid;"
                        + " use 'primary' or 'replica'");
        assertThat(problems.getFirst().instances()).containsExactly("10.0.0.1:3306");
    }

    @Test
    void mariadbNeedsAPrimary() {
        List<Problem> problems = problems("""
                mariadb_servers:
                  - host: 10.0.0.1
                    role: replica
                  - host: 10.0.0.2
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly(
                        "t.yaml:1:1: mariadb_servers has no primary; set 'role: primary' on exactly one instance");
        assertThat(problems.getFirst().instances()).containsExactly("10.0.0.1:3306", "10.0.0.2:3306");
    }

    @Test
    void mariadbHasOnlyOnePrimary() {
        List<Problem> problems = problems("""
                mariadb_servers:
                  - host: 10.0.0.1
                    role: primary
                  - host: 10.0.0.2
                  - host: 10.0.0.3
                    role: primary
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly("t.yaml:5:5: mariadb_servers has 2 primaries (10.0.0.1:3306, 10.0.0.3:3306);"
                        + " keep 'role: primary' on one and set 'role: replica' on the others");
        assertThat(problems.getFirst().instances()).containsExactly("10.0.0.1:3306", "10.0.0.3:3306");
    }

    @Test
    void haproxyPortsConflictWithTidbOnTheSameHost() {
        assertThat(messages("""
                tidb_servers:
                  - host: 10.0.0.1
                haproxy_servers:
                  - host: 10.0.0.1
                """))
                .containsExactly("t.yaml:4:5: port conflict for '4000' between 'tidb_servers:10.0.0.1.port' and"
                        + " 'haproxy_servers:10.0.0.1.port': tidb 10.0.0.1:4000 at line 2 and haproxy 10.0.0.1:4000 at"
                        + " line 4; give one of them another port");
    }

    @Test
    void etcdNamesAreUnique() {
        assertThat(messages("""
                etcd_servers:
                  - host: 10.0.0.1
                    name: etcd
                  - host: 10.0.0.2
                    name: etcd
                """))
                .containsExactly("t.yaml:4:5: name conflict for 'etcd' between 'etcd_servers:10.0.0.1.name' and"
                        + " 'etcd_servers:10.0.0.2.name': etcd 10.0.0.1:2379 at line 2 and etcd 10.0.0.2:2379 at line 4;"
                        + " give each instance its own name");
    }

    @Test
    void etcdAndPdMayNotShareAHostOnDefaultPorts() {
        assertThat(messages("""
                pd_servers: [{host: 10.0.0.1}]
                etcd_servers: [{host: 10.0.0.1}]
                """))
                .containsExactly(
                        "t.yaml:2:16: port conflict for '2379' between 'pd_servers:10.0.0.1.client_port' and"
                                + " 'etcd_servers:10.0.0.1.client_port': pd 10.0.0.1:2379 at line 1 and etcd 10.0.0.1:2379"
                                + " at line 2; give one of them another port",
                        "t.yaml:2:16: port conflict for '2380' between 'pd_servers:10.0.0.1.peer_port' and"
                                + " 'etcd_servers:10.0.0.1.peer_port': pd 10.0.0.1:2379 at line 1 and etcd 10.0.0.1:2379"
                                + " at line 2; give one of them another port");
    }
}
