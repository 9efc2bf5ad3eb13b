package io.flotilla.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopologyParserTest {
    @Test
    void readsTheFieldNotesOneHostTopologyWithEveryDefault() {
        Topology topology = TopologyParser.parse(resource("one-host.yaml"));

        assertThat(topology.source()).endsWith("one-host.yaml");
        assertThat(topology.global())
                .isEqualTo(new GlobalOptions(
                        "tidb",
                        "tidb",
                        22,
                        "/tidb-deploy",
                        "/tidb-data",
                        "log",
                        "0.0.0.0",
                        false,
                        "amd64",
                        "linux",
                        "system",
                        Map.of(),
                        ComponentSource.DEFAULT_MIRROR));
        assertThat(topology.monitored())
                .isEqualTo(new MonitoredOptions(
                        9100,
                        9115,
                        "/tidb-deploy/monitor-9100",
                        "/tidb-data/monitor-9100",
                        "/tidb-deploy/monitor-9100/log"));
        assertThat(topology.serverConfigs())
                .isEqualTo(Map.of("pd", Map.of("replication.enable-placement-rules", true)));
        assertThat(topology.componentVersions()).isEmpty();
        assertThat(topology.componentSources()).isEmpty();
        assertThat(topology.autoscale()).isEmpty();
        assertThat(topology.hosts()).containsExactly("47.94.44.25");

        assertThat(topology.instances())
                .extracting(Instance::component, Instance::id)
                .containsExactly(
                        tuple("pd", "47.94.44.25:2379"),
                        tuple("tidb", "47.94.44.25:4000"),
                        tuple("tikv", "47.94.44.25:20160"),
                        tuple("tiflash", "47.94.44.25:9000"),
                        tuple("prometheus", "47.94.44.25:9090"),
                        tuple("grafana", "47.94.44.25:3000"),
                        tuple("alertmanager", "47.94.44.25:9093"),
                        tuple("node_exporter", "47.94.44.25:9100"),
                        tuple("blackbox_exporter", "47.94.44.25:9115"));

        Instance pd = topology.instance("47.94.44.25:2379").orElseThrow();
        assertThat(pd.sshPort()).isEqualTo(22);
        assertThat(pd.listenHost()).isEqualTo("0.0.0.0");
        assertThat(pd.ports()).containsExactly(Map.entry("client_port", 2379), Map.entry("peer_port", 2380));
        assertThat(pd.deployDir()).isEqualTo("/tidb-deploy/pd-2379");
        assertThat(pd.dataDir()).isEqualTo("/tidb-data/pd-2379");
        assertThat(pd.logDir()).isEqualTo("/tidb-deploy/pd-2379/log");
        assertThat(pd.config()).isEqualTo(Map.of("replication.enable-placement-rules", true));
        assertThat(pd.fields()).isEqualTo(Map.of("arch", "amd64", "os", "linux", "name", "pd-47.94.44.25-2379"));
        assertThat(pd.position()).hasToString(topology.source() + ":3:15");

        Instance tidb = topology.instance("47.94.44.25:4000").orElseThrow();
        assertThat(tidb.ports()).containsExactly(Map.entry("port", 4000), Map.entry("status_port", 10080));
        assertThat(tidb.deployDir()).isEqualTo("/tidb-deploy/tidb-4000");
        assertThat(tidb.dataDir()).isNull();
        assertThat(tidb.dataDirs()).isEmpty();
        assertThat(tidb.logDir()).isEqualTo("/tidb-deploy/tidb-4000/log");
        assertThat(tidb.config()).isEmpty();

        Instance tikv = topology.instance("47.94.44.25:20160").orElseThrow();
        assertThat(tikv.ports()).containsExactly(Map.entry("port", 20160), Map.entry("status_port", 20180));
        assertThat(tikv.dataDir()).isEqualTo("/tidb-data/tikv-20160");

        Instance tiflash = topology.instance("47.94.44.25:9000").orElseThrow();
        assertThat(tiflash.ports())
                .containsExactly(
                        Map.entry("tcp_port", 9000),
                        Map.entry("http_port", 8123),
                        Map.entry("flash_service_port", 3930),
                        Map.entry("flash_proxy_port", 20170),
                        Map.entry("flash_proxy_status_port", 20292),
                        Map.entry("metrics_port", 8234));
        assertThat(tiflash.deployDir()).isEqualTo("/tidb-deploy/tiflash-9000");
        assertThat(tiflash.dataDir()).isEqualTo("/tidb-data/tiflash-9000");
        assertThat(tiflash.logDir()).isEqualTo("/tidb-deploy/tiflash-9000/log");

        Instance prometheus = topology.instance("47.94.44.25:9090").orElseThrow();
        assertThat(prometheus.ports()).containsExactly(Map.entry("port", 9090), Map.entry("ng_port", 12020));
        assertThat(prometheus.dataDir()).isEqualTo("/tidb-data/prometheus-9090");
        assertThat(topology.instance("47.94.44.25:3000").orElseThrow().dataDir())
                .isNull();
        Instance alertmanager = topology.instance("47.94.44.25:9093").orElseThrow();
        assertThat(alertmanager.ports()).containsExactly(Map.entry("web_port", 9093), Map.entry("cluster_port", 9094));
        assertThat(alertmanager.deployDir()).isEqualTo("/tidb-deploy/alertmanager-9093");
        assertThat(alertmanager.dataDir()).isEqualTo("/tidb-data/alertmanager-9093");

        Instance nodeExporter = topology.instance("47.94.44.25:9100").orElseThrow();
        assertThat(nodeExporter.schema()).isEqualTo(Schemas.NODE_EXPORTER);
        assertThat(nodeExporter.deployDir()).isEqualTo("/tidb-deploy/monitor-9100");
        assertThat(nodeExporter.dataDir()).isNull();
        assertThat(nodeExporter.logDir()).isEqualTo("/tidb-deploy/monitor-9100/log");
        assertThat(nodeExporter.position()).isEqualTo(pd.position());
        Instance blackboxExporter = topology.instance("47.94.44.25:9115").orElseThrow();
        assertThat(blackboxExporter.schema()).isEqualTo(Schemas.BLACKBOX_EXPORTER);
        assertThat(blackboxExporter.deployDir()).isEqualTo("/tidb-deploy/monitor-9100");
    }

    @Test
    void readsTheClassicMultiHostTopologyWithEveryDefault() {
        Topology topology = TopologyParser.parse(text("multi-host.yaml"), "multi-host.yaml");

        assertThat(topology.global())
                .isEqualTo(new GlobalOptions(
                        "tidb",
                        "tidb",
                        22,
                        "deploy",
                        "data",
                        "log",
                        "0.0.0.0",
                        false,
                        "amd64",
                        "linux",
                        "system",
                        Map.of(),
                        ComponentSource.DEFAULT_MIRROR));
        assertThat(topology.monitored())
                .isEqualTo(new MonitoredOptions(
                        9100,
                        9115,
                        "/home/tidb/deploy/monitor-9100",
                        "/home/tidb/deploy/monitor-9100/data/monitor-9100",
                        "/home/tidb/deploy/monitor-9100/log"));
        assertThat(topology.hosts())
                .containsExactly(
                        "10.0.1.4",
                        "10.0.1.5",
                        "10.0.1.6",
                        "10.0.1.7",
                        "10.0.1.8",
                        "10.0.1.1",
                        "10.0.1.2",
                        "10.0.1.3",
                        "10.0.1.10");
        assertThat(topology.instances("pd"))
                .extracting(
                        Instance::id,
                        instance -> instance.field("name").orElseThrow(),
                        i -> i.position().toString())
                .containsExactly(
                        tuple("10.0.1.4:2379", "pd-10.0.1.4-2379", "multi-host.yaml:17:5"),
                        tuple("10.0.1.5:2379", "pd-10.0.1.5-2379", "multi-host.yaml:18:5"),
                        tuple("10.0.1.6:2379", "pd-10.0.1.6-2379", "multi-host.yaml:19:5"));
        assertThat(topology.instances("tidb"))
                .extracting(Instance::id)
                .containsExactly("10.0.1.7:4000", "10.0.1.8:4000");
        assertThat(topology.instances("tikv"))
                .extracting(Instance::id)
                .containsExactly("10.0.1.1:20160", "10.0.1.2:20160", "10.0.1.3:20160");

        Instance pd = topology.instance("10.0.1.5:2379").orElseThrow();
        assertThat(pd.deployDir()).isEqualTo("/home/tidb/deploy/pd-2379");
        assertThat(pd.dataDir()).isEqualTo("/home/tidb/deploy/pd-2379/data");
        assertThat(pd.logDir()).isEqualTo("/home/tidb/deploy/pd-2379/log");
        assertThat(pd.config())
                .containsExactly(
                        Map.entry("replication.enable-placement-rules", true),
                        Map.entry("replication.location-labels", List.of("host")));

        Instance tikv = topology.instance("10.0.1.2:20160").orElseThrow();
        assertThat(tikv.deployDir()).isEqualTo("/home/tidb/deploy/tikv-20160");
        assertThat(tikv.dataDir()).isEqualTo("/home/tidb/deploy/tikv-20160/data");
        assertThat(tikv.config())
                .containsExactly(
                        Map.entry("readpool.storage.use-unified-pool", false),
                        Map.entry("readpool.coprocessor.use-unified-pool", true),
                        Map.entry("server.labels.host", "tikv2"));

        Instance tidb = topology.instance("10.0.1.8:4000").orElseThrow();
        assertThat(tidb.config()).isEqualTo(Map.of("log.slow-threshold", 300L));
        assertThat(tidb.logDir()).isEqualTo("/home/tidb/deploy/tidb-4000/log");

        assertThat(topology.instances("node_exporter"))
                .extracting(Instance::id)
                .containsExactly(
                        "10.0.1.4:9100",
                        "10.0.1.5:9100",
                        "10.0.1.6:9100",
                        "10.0.1.7:9100",
                        "10.0.1.8:9100",
                        "10.0.1.1:9100",
                        "10.0.1.2:9100",
                        "10.0.1.3:9100",
                        "10.0.1.10:9100");
        assertThat(topology.instances("blackbox_exporter")).hasSize(9);
        assertThat(topology.instance("10.0.1.10:9100").orElseThrow().position())
                .isEqualTo(topology.instance("10.0.1.10:9090").orElseThrow().position());
        assertThat(topology.instances()).hasSize(11 + 18);
    }

    @Test
    void flattensServerConfigsAndLetsInstanceConfigOverrideThem() {
        Topology topology = TopologyParser.parse("""
                server_configs:
                  tikv:
                    log-level: info
                    storage:
                      block-cache:
                        capacity: 4GiB
                    raftstore.sync-log: true
                tikv_servers:
                  - host: 10.0.0.1
                    config:
                      storage.block-cache.capacity: 16GiB
                      log-level: warn
                  - host: 10.0.0.2
                """, "t.yaml");

        assertThat(topology.serverConfigs().get("tikv"))
                .containsExactly(
                        Map.entry("log-level", "info"),
                        Map.entry("storage.block-cache.capacity", "4GiB"),
                        Map.entry("raftstore.sync-log", true));
        assertThat(topology.instance("10.0.0.1:20160").orElseThrow().config())
                .containsExactly(
                        Map.entry("log-level", "warn"),
                        Map.entry("storage.block-cache.capacity", "16GiB"),
                        Map.entry("raftstore.sync-log", true));
        assertThat(topology.instance("10.0.0.2:20160").orElseThrow().config())
                .isEqualTo(topology.serverConfigs().get("tikv"));
    }

    @Test
    void keepsComponentVersionsSourcesAndAutoscale() {
        Topology topology = TopologyParser.parse("""
                component_versions:
                  tikv: v7.5.1
                  tidb_dashboard: v7.5.0
                component_sources:
                  tidb: tidb-nightly
                  mariadb: { package: mariadb-server }
                autoscale:
                  tidb: { min: 2, max: 10, target_cpu_percent: 80 }
                tidb_servers:
                  - host: 10.0.0.1
                """, "t.yaml");

        assertThat(topology.componentVersions()).isEqualTo(Map.of("tikv", "v7.5.1", "tidb_dashboard", "v7.5.0"));
        assertThat(topology.componentSources())
                .isEqualTo(Map.of("tidb", "tidb-nightly", "mariadb", Map.of("package", "mariadb-server")));
        assertThat(topology.autoscale())
                .isEqualTo(Map.of("tidb", Map.of("min", 2L, "max", 10L, "target_cpu_percent", 80L)));
    }

    @Test
    void instancesTakeSshPortPlatformAndLimitsFromGlobalUnlessTheySetThem() {
        Topology topology = TopologyParser.parse("""
                global:
                  ssh_port: 2222
                  arch: x86_64
                  os: Linux
                  resource_control:
                    memory_limit: 4G
                    cpu_quota: 200%
                tidb_servers:
                  - host: 10.0.0.1
                  - host: 10.0.0.2
                    ssh_port: 22
                    arch: AARCH64
                    numa_node: "0,1"
                    numa_cores: "0-7"
                    manage_host: 192.168.0.2
                    source: tidb-custom
                    advertise_address: tidb-2.example.com
                    resource_control:
                      memory_limit: 8G
                """, "t.yaml");

        assertThat(topology.global().arch()).isEqualTo("amd64");
        assertThat(topology.global().os()).isEqualTo("linux");
        Instance first = topology.instance("10.0.0.1:4000").orElseThrow();
        assertThat(first.sshPort()).isEqualTo(2222);
        assertThat(first.arch()).isEqualTo("amd64");
        assertThat(first.os()).isEqualTo("linux");
        assertThat(first.fields()).doesNotContainKey("resource_control");
        Instance second = topology.instance("10.0.0.2:4000").orElseThrow();
        assertThat(second.sshPort()).isEqualTo(22);
        assertThat(second.arch()).isEqualTo("arm64");
        assertThat(second.fields())
                .containsEntry("numa_node", "0,1")
                .containsEntry("numa_cores", "0-7")
                .containsEntry("manage_host", "192.168.0.2")
                .containsEntry("source", "tidb-custom")
                .containsEntry("advertise_address", "tidb-2.example.com")
                .containsEntry("resource_control", Map.of("memory_limit", "8G", "cpu_quota", "200%"));
    }

    @Test
    void listensWhereTheGlobalOrTheInstanceSaysOrOnEveryAddressOfTheHostsFamilyAndAnExporterOnItsAddress() {
        Topology defaults = TopologyParser.parse("""
                tidb_servers:
                  - host: 10.0.0.1
                  - host: "fd00::2"
                  - host: 10.0.0.3
                    listen_host: 10.0.0.3
                """, "t.yaml");
        assertThat(defaults.instances("tidb"))
                .extracting(Instance::listenHost)
                .containsExactly("0.0.0.0", "::", "10.0.0.3");
        assertThat(defaults.instance("[fd00::2]:9100").orElseThrow().listenHost())
                .as("an exporter answers anyone: it listens on the address its host is named by")
                .isEqualTo("fd00::2");
        assertThat(defaults.instance("10.0.0.1:9100").orElseThrow().listenHost())
                .isEqualTo("10.0.0.1");

        Topology monitoring = TopologyParser.parse("""
                mariadb_servers:
                  - host: 127.0.0.1
                monitoring_servers:
                  - host: 127.0.0.1
                  - host: db-1.example
                  - host: 10.0.0.4
                    listen_host: 0.0.0.0
                alertmanager_servers:
                  - host: 127.0.0.1
                """, "t.yaml");
        assertThat(monitoring.instances())
                .extracting(Instance::id, Instance::listenHost)
                .contains(
                        org.assertj.core.groups.Tuple.tuple("127.0.0.1:3306", "0.0.0.0"),
                        org.assertj.core.groups.Tuple.tuple("127.0.0.1:9090", "127.0.0.1"),
                        org.assertj.core.groups.Tuple.tuple("db-1.example:9090", "0.0.0.0"),
                        org.assertj.core.groups.Tuple.tuple("10.0.0.4:9090", "0.0.0.0"),
                        org.assertj.core.groups.Tuple.tuple("127.0.0.1:9093", "127.0.0.1"),
                        org.assertj.core.groups.Tuple.tuple("127.0.0.1:9100", "127.0.0.1"),
                        org.assertj.core.groups.Tuple.tuple("db-1.example:9100", "0.0.0.0"));

        Topology global = TopologyParser.parse("""
                global:
                  listen_host: 192.168.0.1
                tidb_servers:
                  - host: 10.0.0.1
                """, "t.yaml");
        assertThat(global.global().listenHost()).isEqualTo("192.168.0.1");
        assertThat(global.instances()).extracting(Instance::listenHost).containsOnly("192.168.0.1");
    }

    @Test
    void skipsTheExportersOfAHostWhoseInstancesAllIgnoreThem() {
        Topology topology = TopologyParser.parse("""
                monitored:
                  node_exporter_port: 9200
                  blackbox_exporter_port: 9215
                  node_exporter_version: v1.5.0
                tidb_servers:
                  - host: 10.0.0.1
                    ignore_exporter: true
                  - host: 10.0.0.2
                tikv_servers:
                  - host: 10.0.0.1
                    ignore_exporter: true
                """, "t.yaml");

        assertThat(topology.instances())
                .filteredOn(instance -> Claim.isExporter(instance))
                .extracting(Instance::id)
                .containsExactly("10.0.0.2:9200", "10.0.0.2:9215");
        Instance exporter = topology.instance("10.0.0.2:9200").orElseThrow();
        assertThat(exporter.deployDir()).isEqualTo("/home/tidb/deploy/monitor-9200");
        assertThat(exporter.field("version")).contains("v1.5.0");
        assertThat(topology.instance("10.0.0.2:9215").orElseThrow().field("version"))
                .isEmpty();
    }

    @Test
    void readsYamlAnchorsAndMergeKeys() {
        Topology topology = TopologyParser.parse("""
                tikv_servers:
                  - &tikv
                    host: 10.0.0.1
                    config: { server.grpc-concurrency: 8 }
                  - <<: *tikv
                    port: 20161
                    status_port: 20181
                """, "t.yaml");

        assertThat(topology.instances("tikv"))
                .extracting(Instance::id, Instance::config)
                .containsExactly(
                        tuple("10.0.0.1:20160", Map.of("server.grpc-concurrency", 8L)),
                        tuple("10.0.0.1:20161", Map.of("server.grpc-concurrency", 8L)));
    }

    @Test
    void readsEveryTiupSection() {
        Topology topology = TopologyParser.parse("""
                pd_servers: [{host: 10.0.0.1}]
                tso_servers: [{host: 10.0.0.2}]
                scheduling_servers: [{host: 10.0.0.3}]
                tidb_dashboard_servers: [{host: 10.0.0.1}]
                tiproxy_servers: [{host: 10.0.0.1}]
                tikv_servers: [{host: 10.0.0.1}]
                pump_servers: [{host: 10.0.0.1}]
                tidb_servers: [{host: 10.0.0.1}]
                tiflash_servers: [{host: 10.0.0.2}]
                drainer_servers: [{host: 10.0.0.1, commit_ts: -1}]
                cdc_servers: [{host: 10.0.0.1, gc-ttl: 86400, tz: UTC}]
                kvcdc_servers: [{host: 10.0.0.1}]
                monitoring_servers: [{host: 10.0.0.4}]
                grafana_servers: [{host: 10.0.0.4}]
                alertmanager_servers: [{host: 10.0.0.4}]
                """, "t.yaml");

        assertThat(topology.instances())
                .filteredOn(instance -> !Claim.isExporter(instance))
                .extracting(Instance::id)
                .containsExactly(
                        "10.0.0.1:2379",
                        "10.0.0.2:3379",
                        "10.0.0.3:3379",
                        "10.0.0.1:12333",
                        "10.0.0.1:6000",
                        "10.0.0.1:20160",
                        "10.0.0.1:8250",
                        "10.0.0.1:4000",
                        "10.0.0.2:9000",
                        "10.0.0.1:8249",
                        "10.0.0.1:8300",
                        "10.0.0.1:8600",
                        "10.0.0.4:9090",
                        "10.0.0.4:3000",
                        "10.0.0.4:9093");
        assertThat(topology.instance("10.0.0.2:3379").orElseThrow().field("name"))
                .contains("tso-10.0.0.2-3379");
        assertThat(topology.instance("10.0.0.1:8300").orElseThrow().fields())
                .containsEntry("gc-ttl", 86400L)
                .containsEntry("tz", "UTC");
        assertThat(topology.instance("10.0.0.1:8249").orElseThrow().fields()).containsEntry("commit_ts", -1L);
    }

    @Test
    void readsFromAFileAndNamesItInPositions() {
        Path file = resource("multi-host.yaml");
        Topology topology = TopologyParser.parse(file);
        assertThat(topology.source()).isEqualTo(file.toString());
        assertThat(topology.instances().getFirst().position()).isEqualTo(new SourcePosition(file.toString(), 17, 5));
    }

    @Test
    void saysWhichFileItCannotRead() {
        Path missing = Path.of("does-not-exist", "topology.yaml");
        assertThatThrownBy(() -> TopologyParser.parse(missing))
                .isInstanceOf(TopologyException.class)
                .hasMessage(missing + ":1:1: the file does not exist");
    }

    static Path resource(String name) {
        try {
            return Path.of(
                    TopologyParserTest.class.getResource("/topologies/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static String text(String name) {
        try {
            return Files.readString(resource(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
