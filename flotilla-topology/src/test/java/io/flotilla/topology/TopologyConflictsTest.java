package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopologyConflictsTest {
    private static final Topology PROD = parse("prod.yaml", """
            global: { deploy_dir: /prod/deploy, data_dir: /prod/data }
            pd_servers: [{host: 10.0.1.1}]
            tikv_servers:
              - host: 10.0.1.1
                data_dir: /data/shared
            tidb_servers: [{host: 10.0.1.1}]
            """);

    @Test
    void clustersOnOtherHostsDoNotConflict() {
        Topology candidate = parse("staging.yaml", """
                pd_servers: [{host: 10.0.2.1}]
                tikv_servers: [{host: 10.0.2.1}]
                tidb_servers: [{host: 10.0.2.1}]
                """);
        assertThat(TopologyConflicts.between(candidate, Map.of("prod", PROD))).isEmpty();
    }

    @Test
    void aPortAnotherClusterUsesOnTheHostIsNamedWithThatCluster() {
        Topology candidate = parse("staging.yaml", """
                global: { deploy_dir: /staging/deploy, data_dir: /staging/data }
                monitored: { node_exporter_port: 9200, blackbox_exporter_port: 9215 }
                tidb_servers:
                  - host: 10.0.1.1
                    status_port: 10081
                """);

        List<Problem> problems = TopologyConflicts.between(candidate, Map.of("prod", PROD));

        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly(
                        "staging.yaml:4:5: port conflict for '4000' with cluster 'prod': 'tidb_servers:10.0.1.1.port'"
                                + " (tidb 10.0.1.1:4000 at line 4) is already used by 'tidb_servers:10.0.1.1.port'"
                                + " (tidb 10.0.1.1:4000) of cluster 'prod'; choose another port or host");
        assertThat(problems.getFirst().instances()).containsExactly("10.0.1.1:4000");
    }

    @Test
    void aDirectoryAnotherClusterUsesOnTheHostIsNamedWithThatCluster() {
        Topology candidate = parse("staging.yaml", """
                global: { deploy_dir: /staging/deploy }
                monitored: { node_exporter_port: 9200, blackbox_exporter_port: 9215 }
                pd_servers:
                  - host: 10.0.1.1
                    client_port: 2479
                    peer_port: 2480
                    data_dir: /data/shared
                """);

        assertThat(TopologyConflicts.between(candidate, Map.of("prod", PROD)))
                .extracting(Problem::toString)
                .containsExactly("staging.yaml:4:5: directory conflict for '/data/shared' with cluster 'prod':"
                        + " 'pd_servers:10.0.1.1.data_dir' (pd 10.0.1.1:2479 at line 4) is already used by"
                        + " 'tikv_servers:10.0.1.1.data_dir' (tikv 10.0.1.1:20160) of cluster 'prod'; choose another"
                        + " directory or host");
    }

    @Test
    void twoClustersOnOneHostNeedTheirOwnExporterPortsAndDirs() {
        Topology candidate = parse("staging.yaml", """
                global: { deploy_dir: /prod/deploy }
                cdc_servers: [{host: 10.0.1.1}]
                """);

        assertThat(TopologyConflicts.between(candidate, Map.of("prod", PROD)))
                .extracting(Problem::toString)
                .containsExactly(
                        "staging.yaml:2:15: port conflict for '9100' with cluster 'prod':"
                                + " 'monitored:10.0.1.1.node_exporter_port' (node_exporter 10.0.1.1:9100 at line 2) is"
                                + " already used by 'monitored:10.0.1.1.node_exporter_port' (node_exporter 10.0.1.1:9100)"
                                + " of cluster 'prod'; choose another port or host",
                        "staging.yaml:2:15: directory conflict for '/prod/deploy/monitor-9100' with cluster 'prod':"
                                + " 'monitored:10.0.1.1.deploy_dir' (node_exporter 10.0.1.1:9100 at line 2) is already"
                                + " used by 'monitored:10.0.1.1.deploy_dir' (node_exporter 10.0.1.1:9100) of cluster"
                                + " 'prod'; choose another directory or host",
                        "staging.yaml:2:15: directory conflict for '/prod/deploy/monitor-9100/log' with cluster 'prod':"
                                + " 'monitored:10.0.1.1.log_dir' (node_exporter 10.0.1.1:9100 at line 2) is already used"
                                + " by 'monitored:10.0.1.1.log_dir' (node_exporter 10.0.1.1:9100) of cluster 'prod';"
                                + " choose another directory or host",
                        "staging.yaml:2:15: port conflict for '9115' with cluster 'prod':"
                                + " 'monitored:10.0.1.1.blackbox_exporter_port' (blackbox_exporter 10.0.1.1:9115 at line"
                                + " 2) is already used by 'monitored:10.0.1.1.blackbox_exporter_port' (blackbox_exporter"
                                + " 10.0.1.1:9115) of cluster 'prod'; choose another port or host");
    }

    @Test
    void eachConflictNamesTheClusterItCollidesWith() {
        Topology test = parse("test.yaml", """
                global: { deploy_dir: /test/deploy }
                monitored: { node_exporter_port: 9300, blackbox_exporter_port: 9315 }
                tikv_servers:
                  - host: 10.0.3.1
                """);
        Topology candidate = parse("staging.yaml", """
                global: { deploy_dir: /staging/deploy }
                monitored: { node_exporter_port: 9200, blackbox_exporter_port: 9215 }
                tidb_servers:
                  - host: 10.0.1.1
                    status_port: 10081
                tikv_servers:
                  - host: 10.0.3.1
                    port: 20161
                    status_port: 20180
                """);
        Map<String, Topology> others = new LinkedHashMap<>();
        others.put("prod", PROD);
        others.put("test", test);

        assertThat(TopologyConflicts.between(candidate, others))
                .extracting(Problem::toString)
                .containsExactly(
                        "staging.yaml:4:5: port conflict for '4000' with cluster 'prod': 'tidb_servers:10.0.1.1.port'"
                                + " (tidb 10.0.1.1:4000 at line 4) is already used by 'tidb_servers:10.0.1.1.port'"
                                + " (tidb 10.0.1.1:4000) of cluster 'prod'; choose another port or host",
                        "staging.yaml:7:5: port conflict for '20180' with cluster 'test':"
                                + " 'tikv_servers:10.0.3.1.status_port' (tikv 10.0.3.1:20161 at line 7) is already used by"
                                + " 'tikv_servers:10.0.3.1.status_port' (tikv 10.0.3.1:20160) of cluster 'test'; choose"
                                + " another port or host");
    }

    private static Topology parse(String fileName, String yaml) {
        return TopologyParser.parse(yaml, fileName);
    }
}
