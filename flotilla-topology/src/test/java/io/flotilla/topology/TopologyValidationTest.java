package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.List;
import org.junit.jupiter.api.Test;

/** One test per rule, each asserting the exact message and its position. */
class TopologyValidationTest {
    @Test
    void yamlSyntaxErrorIsPositioned() {
        assertThat(messages("""
                tidb_servers:
                  - host: 10.0.0.1
                    port: 4000
                   status_port: 10080
                """))
                .containsExactly("t.yaml:4:4: invalid YAML: expected <block end>, but found '<block mapping start>'"
                        + " (while parsing a block collection started at line 2)");
    }

    @Test
    void tabIndentationIsPositioned() {
        assertThat(messages("tidb_servers:\n  - host: 10.0.0.1\n\t  port: 4000\n"))
                .containsExactly("t.yaml:3:1: invalid YAML: found character '\\t(TAB)' that cannot start any token."
                        + " (Do not use \\t(TAB) for indentation) (while scanning for the next token)");
    }

    @Test
    void topologyMustBeAMap() {
        assertThat(messages("- host: 10.0.0.1\n"))
                .containsExactly("t.yaml:1:1: expected a map for the topology, got a list");
    }

    @Test
    void valuesOfTheWrongTypeAreNamed() {
        List<Problem> problems = problems("""
                global:
                  enable_tls: maybe
                tidb_servers:
                  - host: 10.0.0.1
                    port: abc
                  - host: 10.0.0.2
                    config: slow
                  - 10.0.0.3
                tikv_servers: {host: 10.0.0.4}
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly(
                        "t.yaml:2:15: expected true or false for enable_tls, got 'maybe'",
                        "t.yaml:5:11: expected a number for port, got 'abc'",
                        "t.yaml:7:13: expected a map for config, got 'slow'",
                        "t.yaml:8:5: expected a map for tidb_servers[2], got '10.0.0.3'",
                        "t.yaml:9:15: expected a list for tikv_servers, got a map");
        assertThat(problems.get(2).instances()).containsExactly("10.0.0.2:4000");
    }

    @Test
    void unknownKeysSuggestTheKeyMeant() {
        List<Problem> problems = problems("""
                global:
                  depoly_dir: /tidb-deploy
                server_configs:
                  tidbb: {}
                pd_server: []
                pd_servers:
                  - host: 10.0.1.1
                    clinet_port: 2479
                    resource_control:
                      memory_limt: 4G
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly(
                        "t.yaml:2:3: unknown key 'depoly_dir' in global; did you mean 'deploy_dir'?",
                        "t.yaml:4:3: unknown key 'tidbb' in server_configs; did you mean 'tidb'?",
                        "t.yaml:5:1: unknown key 'pd_server' in the topology; did you mean 'pd_servers'?",
                        "t.yaml:8:5: unknown key 'clinet_port' in pd_servers[0]; did you mean 'client_port'?",
                        "t.yaml:10:7: unknown key 'memory_limt' in pd_servers[0].resource_control; did you mean 'memory_limit'?");
        assertThat(problems.get(3).instances()).containsExactly("10.0.1.1:2379");
    }

    @Test
    void unknownKeyWithNoCloseMatchListsTheKnownOnes() {
        assertThat(messages("""
                monitored:
                  exporters: 2
                tidb_servers: [{host: 10.0.0.1}]
                """))
                .containsExactly(
                        "t.yaml:2:3: unknown key 'exporters' in monitored; expected one of: blackbox_exporter_port,"
                                + " blackbox_exporter_version, data_dir, deploy_dir, log_dir, node_exporter_port,"
                                + " node_exporter_version, numa_node, resource_control");
    }

    @Test
    void duplicateKeyIsReported() {
        assertThat(messages("""
                tidb_servers:
                  - host: 10.0.0.1
                    host: 10.0.0.2
                """))
                .containsExactly(
                        "t.yaml:3:5: duplicate key 'host' in tidb_servers[0]; it is first set at line 2, keep one of them");
    }

    @Test
    void everyInstanceNeedsAHost() {
        assertThat(messages("""
                tidb_servers:
                  - port: 4001
                  - host: ""
                """))
                .containsExactly(
                        "t.yaml:2:5: tidb_servers[0] has no host; add 'host: <address>' to it",
                        "t.yaml:3:5: tidb_servers[1] has no host; add 'host: <address>' to it");
    }

    @Test
    void portsAreBetween1And65535() {
        List<Problem> problems = problems("""
                global:
                  ssh_port: -1
                monitored:
                  node_exporter_port: 65536
                tidb_servers:
                  - host: 10.0.0.1
                    status_port: 70000
                    ssh_port: 0
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly(
                        "t.yaml:2:13: ssh_port -1 of global is out of range; use a port between 1 and 65535",
                        "t.yaml:4:23: node_exporter_port 65536 of monitored is out of range; use a port between 1 and 65535",
                        "t.yaml:7:18: status_port 70000 of tidb_servers[0] (10.0.0.1:4000) is out of range;"
                                + " use a port between 1 and 65535",
                        "t.yaml:8:15: ssh_port 0 of tidb_servers[0] (10.0.0.1:4000) is out of range;"
                                + " use a port between 1 and 65535");
        assertThat(problems.get(2).instances()).containsExactly("10.0.0.1:4000");
    }

    @Test
    void portConflictIsReportedInTiupsWordsWithPositions() {
        List<Problem> problems = problems("""
                tidb_servers:
                  - host: 10.0.1.1
                pd_servers:
                  - host: 10.0.1.1
                    client_port: 4000
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly("t.yaml:4:5: port conflict for '4000' between 'tidb_servers:10.0.1.1.port' and"
                        + " 'pd_servers:10.0.1.1.client_port': tidb 10.0.1.1:4000 at line 2 and pd 10.0.1.1:4000 at line 4;"
                        + " give one of them another port");
        assertThat(problems.getFirst().instances()).containsExactly("10.0.1.1:4000");
    }

    @Test
    void portConflictWithTheExportersOfTheHostIsFound() {
        List<Problem> problems = problems("""
                tikv_servers:
                  - host: 10.0.1.1
                tidb_servers:
                  - host: 10.0.1.1
                    status_port: 9115
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly("t.yaml:4:5: port conflict for '9115' between 'tidb_servers:10.0.1.1.status_port' and"
                        + " 'monitored:10.0.1.1.blackbox_exporter_port': tidb 10.0.1.1:4000 at line 4 and"
                        + " blackbox_exporter 10.0.1.1:9115 at line 2; give one of them another port");
        assertThat(problems.getFirst().instances()).containsExactly("10.0.1.1:4000", "10.0.1.1:9115");
    }

    @Test
    void twoPortsOfOneInstanceConflictToo() {
        assertThat(messages("""
                tidb_servers:
                  - host: 10.0.1.1
                    status_port: 4000
                """))
                .containsExactly("t.yaml:2:5: port conflict for '4000' between 'tidb_servers:10.0.1.1.port' and"
                        + " 'tidb_servers:10.0.1.1.status_port': both belong to tidb 10.0.1.1:4000 at line 2;"
                        + " give one of them another port");
    }

    @Test
    void samePortOnDifferentHostsIsFine() {
        Topology topology = TopologyParser.parse("""
                tidb_servers:
                  - host: 10.0.1.1
                  - host: 10.0.1.2
                """, "t.yaml");
        assertThat(topology.instances("tidb")).hasSize(2);
    }

    @Test
    void directoryConflictIsReported() {
        List<Problem> problems = problems("""
                tikv_servers:
                  - host: 10.0.1.1
                    data_dir: /data/tikv
                  - host: 10.0.1.1
                    port: 20161
                    status_port: 20181
                    data_dir: /data/tikv
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly(
                        "t.yaml:4:5: directory conflict for '/data/tikv' between 'tikv_servers:10.0.1.1.data_dir' and"
                                + " 'tikv_servers:10.0.1.1.data_dir': tikv 10.0.1.1:20160 at line 2 and tikv 10.0.1.1:20161 at line 4;"
                                + " give each instance its own directory");
        assertThat(problems.getFirst().instances()).containsExactly("10.0.1.1:20160", "10.0.1.1:20161");
    }

    @Test
    void relativeDirectoriesAreResolvedBeforeTheyAreCompared() {
        assertThat(messages("""
                tikv_servers:
                  - host: 10.0.1.1
                    deploy_dir: tikv-a
                  - host: 10.0.1.1
                    port: 20161
                    status_port: 20181
                    deploy_dir: /home/tidb/tikv-a
                """))
                .containsExactly(
                        "t.yaml:4:5: directory conflict for '/home/tidb/tikv-a' between 'tikv_servers:10.0.1.1.deploy_dir'"
                                + " and 'tikv_servers:10.0.1.1.deploy_dir': tikv 10.0.1.1:20160 at line 2 and"
                                + " tikv 10.0.1.1:20161 at line 4; give each instance its own directory",
                        "t.yaml:4:5: directory conflict for '/home/tidb/tikv-a/data' between 'tikv_servers:10.0.1.1.data_dir'"
                                + " and 'tikv_servers:10.0.1.1.data_dir': tikv 10.0.1.1:20160 at line 2 and"
                                + " tikv 10.0.1.1:20161 at line 4; give each instance its own directory",
                        "t.yaml:4:5: directory conflict for '/home/tidb/tikv-a/log' between 'tikv_servers:10.0.1.1.log_dir'"
                                + " and 'tikv_servers:10.0.1.1.log_dir': tikv 10.0.1.1:20160 at line 2 and"
                                + " tikv 10.0.1.1:20161 at line 4; give each instance its own directory");
    }

    @Test
    void dataDirMayNotBeAnotherInstancesDeployDir() {
        assertThat(messages("""
                global: { deploy_dir: /tidb-deploy }
                tidb_servers:
                  - host: 10.0.1.1
                pd_servers:
                  - host: 10.0.1.1
                    data_dir: /tidb-deploy/tidb-4000
                """))
                .containsExactly(
                        "t.yaml:3:5: directory overlap between 'tidb_servers:10.0.1.1.log_dir' and"
                                + " 'pd_servers:10.0.1.1.data_dir': '/tidb-deploy/tidb-4000/log' of tidb 10.0.1.1:4000 at"
                                + " line 3 is inside '/tidb-deploy/tidb-4000' of pd 10.0.1.1:2379 at line 5; no data or log"
                                + " directory may lie inside another instance's, move one of them",
                        "t.yaml:5:5: directory conflict for '/tidb-deploy/tidb-4000' between"
                                + " 'tidb_servers:10.0.1.1.deploy_dir' and 'pd_servers:10.0.1.1.data_dir': tidb 10.0.1.1:4000 at line 3"
                                + " and pd 10.0.1.1:2379 at line 5; give each instance its own directory");
    }

    @Test
    void dataDirMayNotNestInsideAnotherInstancesDataDir() {
        assertThat(messages("""
                tikv_servers:
                  - host: 10.0.1.1
                    data_dir: /data/tikv/second
                    port: 20161
                    status_port: 20181
                  - host: 10.0.1.1
                    data_dir: /data/tikv
                """))
                .containsExactly("t.yaml:2:5: directory overlap between 'tikv_servers:10.0.1.1.data_dir' and"
                        + " 'tikv_servers:10.0.1.1.data_dir': '/data/tikv/second' of tikv 10.0.1.1:20161 at line 2 is inside"
                        + " '/data/tikv' of tikv 10.0.1.1:20160 at line 6; no data or log directory may lie inside another"
                        + " instance's, move one of them");
    }

    @Test
    void logDirMayNotNestInsideAnotherInstancesDataDir() {
        assertThat(messages("""
                pd_servers:
                  - host: 10.0.1.1
                    data_dir: /data/pd
                tidb_servers:
                  - host: 10.0.1.1
                    log_dir: /data/pd/tidb-log
                """))
                .containsExactly("t.yaml:5:5: directory overlap between 'tidb_servers:10.0.1.1.log_dir' and"
                        + " 'pd_servers:10.0.1.1.data_dir': '/data/pd/tidb-log' of tidb 10.0.1.1:4000 at line 5 is inside"
                        + " '/data/pd' of pd 10.0.1.1:2379 at line 2; no data or log directory may lie inside another"
                        + " instance's, move one of them");
    }

    @Test
    void twoInstancesMayNotShareALogDir() {
        assertThat(messages("""
                pd_servers:
                  - host: 10.0.1.1
                    log_dir: /var/log/tidb
                tidb_servers:
                  - host: 10.0.1.1
                    log_dir: /var/log/tidb
                """))
                .containsExactly(
                        "t.yaml:5:5: directory conflict for '/var/log/tidb' between 'pd_servers:10.0.1.1.log_dir' and"
                                + " 'tidb_servers:10.0.1.1.log_dir': pd 10.0.1.1:2379 at line 2 and tidb 10.0.1.1:4000 at line 5;"
                                + " give each instance its own directory");
    }

    @Test
    void anInstanceMayKeepItsLogInsideItsOwnDataDir() {
        Topology topology = TopologyParser.parse("""
                pd_servers:
                  - host: 10.0.1.1
                    data_dir: /data/pd
                    log_dir: /data/pd/log
                """, "t.yaml");
        assertThat(topology.instances("pd")).extracting(Instance::logDir).containsExactly("/data/pd/log");
    }

    @Test
    void instancesOfOneHostAgreeOnThePlatform() {
        List<Problem> problems = problems("""
                tidb_servers:
                  - host: 10.0.1.1
                tikv_servers:
                  - host: 10.0.1.1
                    arch: aarch64
                  - host: 10.0.1.2
                    os: darwin
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly("t.yaml:4:5: platform mismatch for '10.0.1.1' between 'tidb_servers:linux/amd64' and"
                        + " 'tikv_servers:linux/arm64': tidb 10.0.1.1:4000 at line 2 and tikv 10.0.1.1:20160 at line 4;"
                        + " set the same os and arch on every instance of a host");
        assertThat(problems.getFirst().instances()).containsExactly("10.0.1.1:4000", "10.0.1.1:20160");
    }

    @Test
    void instancesOfOneHostAgreeOnIgnoringTheExporters() {
        assertThat(messages("""
                tidb_servers:
                  - host: 10.0.1.1
                    ignore_exporter: true
                tikv_servers:
                  - host: 10.0.1.1
                """))
                .containsExactly("t.yaml:5:5: ignore_exporter mismatch for '10.0.1.1' between 'tidb_servers:true' and"
                        + " 'tikv_servers:false': tidb 10.0.1.1:4000 at line 2 and tikv 10.0.1.1:20160 at line 5;"
                        + " set the same ignore_exporter on every instance of a host");
    }

    @Test
    void userAndGroupAreValidLinuxNames() {
        assertThat(messages("""
                global:
                  user: Tidb
                  group: a-group-name-longer-than-32-chars
                tidb_servers: [{host: 10.0.1.1}]
                """))
                .containsExactly(
                        "t.yaml:2:9: global.user 'Tidb' is not a valid Linux user name; use at most 32 lower case letters,"
                                + " digits, '_' or '-', starting with a letter or '_' (a final '$' is allowed)",
                        "t.yaml:3:10: global.group 'a-group-name-longer-than-32-chars' is not a valid Linux group name;"
                                + " use at most 32 lower case letters, digits, '_' or '-', starting with a letter or '_'"
                                + " (a final '$' is allowed)");
        Topology topology = TopologyParser.parse("""
                global: { user: _svc-tidb$, group: dba }
                tidb_servers: [{host: 10.0.1.1}]
                """, "t.yaml");
        assertThat(topology.global().user()).isEqualTo("_svc-tidb$");
        assertThat(topology.global().group()).isEqualTo("dba");
    }

    @Test
    void systemdModeIsSystemOrUser() {
        assertThat(messages("""
                global: { systemd_mode: daemon }
                tidb_servers: [{host: 10.0.1.1}]
                """))
                .containsExactly("t.yaml:1:25: global.systemd_mode 'daemon' is not valid; use 'system' or 'user'");
    }

    @Test
    void pdNamesAreUnique() {
        List<Problem> problems = problems("""
                pd_servers:
                  - host: 10.0.1.1
                    name: pd-1
                  - host: 10.0.1.2
                    name: pd-1
                  - host: 10.0.1.3
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly("t.yaml:4:5: name conflict for 'pd-1' between 'pd_servers:10.0.1.1.name' and"
                        + " 'pd_servers:10.0.1.2.name': pd 10.0.1.1:2379 at line 2 and pd 10.0.1.2:2379 at line 4;"
                        + " give each instance its own name");
        assertThat(problems.getFirst().instances()).containsExactly("10.0.1.1:2379", "10.0.1.2:2379");
    }

    @Test
    void aTopologyOfOnlyMonitoringIsRefused() {
        assertThat(messages("""
                monitoring_servers: [{host: 10.0.1.9}]
                grafana_servers: [{host: 10.0.1.9}]
                """))
                .containsExactly(
                        "t.yaml:1:1: no valid instance: the topology declares only monitoring (monitoring_servers,"
                                + " grafana_servers); add the instances the cluster runs, such as pd_servers, tikv_servers and"
                                + " tidb_servers, or mariadb_servers");
    }

    @Test
    void anEmptyTopologyIsRefused() {
        String noInstance = "t.yaml:1:1: no valid instance: the topology declares no instance; add the instances the"
                + " cluster runs, such as pd_servers, tikv_servers and tidb_servers, or mariadb_servers";
        assertThat(messages("")).containsExactly(noInstance);
        assertThat(messages("global: { user: tidb }\npd_servers: []\n")).containsExactly(noInstance);
    }

    @Test
    void localFilesOfTheControlMachineAreAbsolute() {
        List<Problem> problems = problems("""
                tidb_servers: [{host: 10.0.1.1}]
                monitoring_servers:
                  - host: 10.0.1.9
                    rule_dir: rules
                grafana_servers:
                  - host: 10.0.1.9
                    dashboard_dir: /etc/dashboards
                alertmanager_servers:
                  - host: 10.0.1.9
                    config_file: ./alertmanager.yml
                """);
        assertThat(problems)
                .extracting(Problem::toString)
                .containsExactly(
                        "t.yaml:4:15: rule_dir of monitoring_servers[0] (10.0.1.9:9090) must be an absolute path on this"
                                + " machine, got 'rules'",
                        "t.yaml:10:18: config_file of alertmanager_servers[0] (10.0.1.9:9093) must be an absolute path on"
                                + " this machine, got './alertmanager.yml'");
    }

    @Test
    void reportsEveryProblemOfAFileInFileOrder() {
        TopologyException refused = refused(TopologyParserTest.text("many-problems.yaml"), "many-problems.yaml");
        assertThat(refused.problems())
                .extracting(Problem::toString)
                .containsExactly(
                        "many-problems.yaml:2:9: global.user 'Tidb' is not a valid Linux user name; use at most 32 lower"
                                + " case letters, digits, '_' or '-', starting with a letter or '_' (a final '$' is allowed)",
                        "many-problems.yaml:3:17: global.systemd_mode 'daemon' is not valid; use 'system' or 'user'",
                        "many-problems.yaml:6:5: unknown key 'clinet_port' in pd_servers[0]; did you mean 'client_port'?",
                        "many-problems.yaml:7:5: pd_servers[1] has no host; add 'host: <address>' to it",
                        "many-problems.yaml:7:5: unknown key 'port' in pd_servers[1]; expected one of:"
                                + " advertise_client_addr, advertise_peer_addr, arch, client_port, config, data_dir,"
                                + " deploy_dir, host, ignore_exporter, imported, listen_host, log_dir, manage_host, name,"
                                + " numa_cores, numa_node, os, patched, peer_port, resource_control, source, ssh_port",
                        "many-problems.yaml:10:11: expected a number for port, got 'abc'",
                        "many-problems.yaml:11:5: port conflict for '2379' between 'pd_servers:10.0.1.1.client_port' and"
                                + " 'tidb_servers:10.0.1.1.port': pd 10.0.1.1:2379 at line 5 and tidb 10.0.1.1:2379 at"
                                + " line 11; give one of them another port",
                        "many-problems.yaml:14:18: status_port 70000 of tidb_servers[2] (10.0.1.2:4000) is out of range;"
                                + " use a port between 1 and 65535",
                        "many-problems.yaml:18:5: directory overlap between 'tikv_servers:10.0.1.3.data_dir' and"
                                + " 'tikv_servers:10.0.1.3.data_dir': '/data/tikv/second' of tikv 10.0.1.3:20161 at line 18"
                                + " is inside '/data/tikv' of tikv 10.0.1.3:20160 at line 16; no data or log directory may"
                                + " lie inside another instance's, move one of them",
                        "many-problems.yaml:18:5: platform mismatch for '10.0.1.3' between 'tikv_servers:linux/amd64' and"
                                + " 'tikv_servers:linux/arm64': tikv 10.0.1.3:20160 at line 16 and tikv 10.0.1.3:20161 at"
                                + " line 18; set the same os and arch on every instance of a host",
                        "many-problems.yaml:25:15: rule_dir of monitoring_servers[0] (10.0.1.9:9090) must be an absolute"
                                + " path on this machine, got 'rules'",
                        "many-problems.yaml:27:5: unknown key 'scrape_intervall' in monitoring_servers[0]; did you mean"
                                + " 'scrape_interval'?");
        assertThat(refused.getMessage().lines()).hasSize(12).first().asString().startsWith("many-problems.yaml:2:9: ");
    }

    @Test
    void suggestsOnlyKeysCloseEnoughToBeATypo() {
        List<String> keys = List.of("host", "port", "status_port", "deploy_dir");
        assertThat(DidYouMean.closest("hots", keys)).contains("host");
        assertThat(DidYouMean.closest("stauts_port", keys)).contains("status_port");
        assertThat(DidYouMean.closest("deploydir", keys)).contains("deploy_dir");
        assertThat(DidYouMean.closest("zone", keys)).isEmpty();
        assertThat(DidYouMean.closest("labels", keys)).isEmpty();
    }

    static List<Problem> problems(String yaml) {
        return refused(yaml, "t.yaml").problems();
    }

    static List<String> messages(String yaml) {
        return problems(yaml).stream().map(Problem::toString).toList();
    }

    static TopologyException refused(String yaml, String fileName) {
        Throwable thrown = catchThrowable(() -> TopologyParser.parse(yaml, fileName));
        assertThat(thrown).isInstanceOf(TopologyException.class);
        return (TopologyException) thrown;
    }
}
