package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** TiUP's directory rules, one by one, each resolved to an absolute path on the host. */
class DirectoryRulesTest {
    @Test
    void defaultDeployDirIsRoleAndMainPortUnderTheGlobalOneInTheUsersHome() {
        Instance tikv = only("""
                tikv_servers:
                  - host: 10.0.0.1
                """);
        assertThat(tikv.deployDir()).isEqualTo("/home/tidb/deploy/tikv-20160");
    }

    @Test
    void defaultDeployDirIsUnderAnAbsoluteGlobalDeployDir() {
        Instance tikv = only("""
                global: { deploy_dir: /tidb-deploy }
                tikv_servers:
                  - host: 10.0.0.1
                    port: 20161
                    status_port: 20181
                """);
        assertThat(tikv.deployDir()).isEqualTo("/tidb-deploy/tikv-20161");
    }

    @Test
    void relativeDeployDirIsInTheGlobalUsersHome() {
        Instance tidb = only("""
                global: { user: admin, deploy_dir: /ignored }
                tidb_servers:
                  - host: 10.0.0.1
                    deploy_dir: tidb/main
                """);
        assertThat(tidb.deployDir()).isEqualTo("/home/admin/tidb/main");
    }

    @Test
    void absoluteDeployDirIsKeptCleaned() {
        Instance tidb = only("""
                tidb_servers:
                  - host: 10.0.0.1
                    deploy_dir: /srv//tidb/../tidb-4000/
                """);
        assertThat(tidb.deployDir()).isEqualTo("/srv/tidb-4000");
    }

    @Test
    void defaultDataDirIsTheRelativeGlobalOneUnderTheDeployDir() {
        Instance tikv = only("""
                global: { data_dir: storage }
                tikv_servers:
                  - host: 10.0.0.1
                    deploy_dir: /srv/tikv
                """);
        assertThat(tikv.dataDir()).isEqualTo("/srv/tikv/storage");
    }

    @Test
    void defaultDataDirIsRoleAndMainPortUnderAnAbsoluteGlobalDataDir() {
        Instance tikv = only("""
                global: { data_dir: /tidb-data }
                tikv_servers:
                  - host: 10.0.0.1
                    deploy_dir: /srv/tikv
                """);
        assertThat(tikv.dataDir()).isEqualTo("/tidb-data/tikv-20160");
    }

    @Test
    void relativeDataDirIsUnderTheInstancesDeployDirWhateverTheGlobalOne() {
        Instance tikv = only("""
                global: { data_dir: /tidb-data }
                tikv_servers:
                  - host: 10.0.0.1
                    data_dir: kv
                """);
        assertThat(tikv.dataDir()).isEqualTo("/home/tidb/deploy/tikv-20160/kv");
    }

    @Test
    void absoluteDataDirIsKept() {
        Instance tikv = only("""
                global: { data_dir: /tidb-data }
                tikv_servers:
                  - host: 10.0.0.1
                    data_dir: /nvme0/tikv
                """);
        assertThat(tikv.dataDir()).isEqualTo("/nvme0/tikv");
    }

    @Test
    void tiflashMayListSeveralDataDirsEachResolved() {
        Instance tiflash = only("""
                tiflash_servers:
                  - host: 10.0.0.1
                    deploy_dir: /srv/tiflash
                    data_dir: /nvme0/tiflash, cold ,/nvme1/tiflash/
                """);
        assertThat(tiflash.dataDir()).isEqualTo("/nvme0/tiflash,/srv/tiflash/cold,/nvme1/tiflash");
        assertThat(tiflash.dataDirs()).containsExactly("/nvme0/tiflash", "/srv/tiflash/cold", "/nvme1/tiflash");
    }

    @Test
    void statelessComponentsHaveNoDataDir() {
        Instance tidb = only("""
                global: { data_dir: /tidb-data }
                tidb_servers:
                  - host: 10.0.0.1
                """);
        assertThat(tidb.dataDir()).isNull();
    }

    @Test
    void defaultLogDirIsLogUnderTheDeployDir() {
        Instance pd = only("""
                pd_servers:
                  - host: 10.0.0.1
                """);
        assertThat(pd.logDir()).isEqualTo("/home/tidb/deploy/pd-2379/log");
    }

    @Test
    void defaultLogDirIsARelativeGlobalOneUnderTheDeployDir() {
        Instance pd = only("""
                global: { log_dir: logs/current }
                pd_servers:
                  - host: 10.0.0.1
                """);
        assertThat(pd.logDir()).isEqualTo("/home/tidb/deploy/pd-2379/logs/current");
    }

    @Test
    void defaultLogDirIsRoleAndMainPortUnderAnAbsoluteGlobalLogDir() {
        Instance pd = only("""
                global: { log_dir: /tidb-log }
                pd_servers:
                  - host: 10.0.0.1
                """);
        assertThat(pd.logDir()).isEqualTo("/tidb-log/pd-2379");
    }

    @Test
    void ownLogDirIsUnderTheDeployDirWhenRelativeAndKeptWhenAbsolute() {
        Topology topology = TopologyParser.parse("""
                global: { log_dir: /tidb-log }
                pd_servers:
                  - host: 10.0.0.1
                    log_dir: pd-logs
                  - host: 10.0.0.2
                    log_dir: /var/log/pd
                """, "t.yaml");
        assertThat(topology.instances("pd"))
                .extracting(Instance::logDir)
                .containsExactly("/home/tidb/deploy/pd-2379/pd-logs", "/var/log/pd");
    }

    @Test
    void directoriesAreNamedAfterTheRoleTiupUsesOnDisk() {
        Topology topology = TopologyParser.parse("""
                global: { deploy_dir: /d }
                tidb_dashboard_servers: [{host: 10.0.0.1}]
                kvcdc_servers: [{host: 10.0.0.1}]
                monitoring_servers: [{host: 10.0.0.1}]
                tiflash_servers: [{host: 10.0.0.1, tcp_port: 9001}]
                """, "t.yaml");
        assertThat(topology.instances())
                .filteredOn(instance -> !Claim.isExporter(instance))
                .extracting(Instance::deployDir)
                .containsExactly(
                        "/d/tidb-dashboard-12333", "/d/tikv-cdc-8600", "/d/prometheus-9090", "/d/tiflash-9001");
    }

    @Test
    void monitoredDirsDefaultToMonitorAndTheNodeExporterPortInTheUsersHome() {
        Topology topology = parse("""
                global: { user: ops }
                monitored: { node_exporter_port: 9200 }
                tidb_servers: [{host: 10.0.0.1}]
                """);
        assertThat(topology.monitored())
                .isEqualTo(new MonitoredOptions(
                        9200,
                        9115,
                        "/home/ops/deploy/monitor-9200",
                        "/home/ops/deploy/monitor-9200/data/monitor-9200",
                        "/home/ops/deploy/monitor-9200/log"));
    }

    @Test
    void monitoredDirsFollowAbsoluteGlobalDirs() {
        Topology topology = parse("""
                global: { deploy_dir: /tidb-deploy, data_dir: /tidb-data, log_dir: /tidb-log }
                tidb_servers: [{host: 10.0.0.1}]
                """);
        assertThat(topology.monitored())
                .isEqualTo(new MonitoredOptions(
                        9100,
                        9115,
                        "/tidb-deploy/monitor-9100",
                        "/tidb-data/monitor-9100",
                        "/tidb-deploy/monitor-9100/log"));
    }

    @Test
    void ownMonitoredDirsFollowTheSameRules() {
        Topology topology = parse("""
                monitored:
                  deploy_dir: exporters
                  data_dir: exporter-data
                  log_dir: /var/log/exporters
                tidb_servers: [{host: 10.0.0.1}]
                """);
        assertThat(topology.monitored())
                .isEqualTo(new MonitoredOptions(
                        9100,
                        9115,
                        "/home/tidb/exporters",
                        "/home/tidb/exporters/exporter-data",
                        "/var/log/exporters"));
        assertThat(topology.instance("10.0.0.1:9115").orElseThrow().logDir()).isEqualTo("/var/log/exporters");
    }

    @Test
    void monitoredLogDirThatAlreadyStartsWithTheDeployDirIsNotNestedTwice() {
        Topology topology = parse("""
                monitored:
                  deploy_dir: exporters
                  log_dir: exporters/logs
                tidb_servers: [{host: 10.0.0.1}]
                """);
        assertThat(topology.monitored().logDir()).isEqualTo("/home/tidb/exporters/logs");
    }

    private static Topology parse(String yaml) {
        return TopologyParser.parse(yaml, "t.yaml");
    }

    private static Instance only(String yaml) {
        return parse(yaml).instances().getFirst();
    }
}
