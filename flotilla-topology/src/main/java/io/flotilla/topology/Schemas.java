package io.flotilla.topology;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every component a topology may name, in TiUP's section order followed by Flotilla's own
 * sections. The monitored exporters are not sections: they run on every host.
 *
 * <p>TiUP's sections, ports, defaults and extra fields follow the {@code *Spec} structs of TiUP's
 * {@code pkg/cluster/spec}. The fields every section accepts ({@code host}, {@code ssh_port},
 * {@code deploy_dir}, {@code config}, ...) are the topology format's business, not listed here.
 */
public final class Schemas {
    public static final ComponentSchema PD = schema(
            "pd",
            "pd_servers",
            "pd",
            true,
            Set.of("name", "advertise_client_addr", "advertise_peer_addr"),
            port("client_port", 2379),
            port("peer_port", 2380));
    public static final ComponentSchema TSO =
            schema("tso", "tso_servers", "tso", true, Set.of("name", "advertise_listen_addr"), port("port", 3379));
    public static final ComponentSchema SCHEDULING = schema(
            "scheduling",
            "scheduling_servers",
            "scheduling",
            true,
            Set.of("name", "advertise_listen_addr"),
            port("port", 3379));
    /** Named {@code tidb_dashboard} under {@code server_configs} and {@code component_versions}, as in TiUP. */
    public static final ComponentSchema TIDB_DASHBOARD =
            schema("tidb_dashboard", "tidb_dashboard_servers", "tidb-dashboard", true, Set.of(), port("port", 12333));

    public static final ComponentSchema TIPROXY = schema(
            "tiproxy", "tiproxy_servers", "tiproxy", false, Set.of(), port("port", 6000), port("status_port", 3080));
    public static final ComponentSchema TIKV = schema(
            "tikv",
            "tikv_servers",
            "tikv",
            true,
            Set.of("advertise_addr", "advertise_status_addr", "offline"),
            port("port", 20160),
            port("status_port", 20180));
    public static final ComponentSchema PUMP =
            schema("pump", "pump_servers", "pump", true, Set.of("offline"), port("port", 8250));
    public static final ComponentSchema TIDB = schema(
            "tidb",
            "tidb_servers",
            "tidb",
            false,
            Set.of("advertise_address"),
            port("port", 4000),
            port("status_port", 10080));
    /** {@code http_port} is unused since TiFlash v7.1.0, but TiUP still reserves it for older versions. */
    public static final ComponentSchema TIFLASH = schema(
            "tiflash",
            "tiflash_servers",
            "tiflash",
            true,
            Set.of("tmp_path", "offline", "learner_config"),
            port("tcp_port", 9000),
            port("http_port", 8123),
            port("flash_service_port", 3930),
            port("flash_proxy_port", 20170),
            port("flash_proxy_status_port", 20292),
            port("metrics_port", 8234));

    public static final ComponentSchema DRAINER =
            schema("drainer", "drainer_servers", "drainer", true, Set.of("commit_ts", "offline"), port("port", 8249));
    public static final ComponentSchema CDC = schema(
            "cdc",
            "cdc_servers",
            "cdc",
            true,
            Set.of("gc-ttl", "tz", "ticdc_cluster_id", "offline"),
            port("port", 8300));
    /** TiKV-CDC; TiUP names it {@code kvcdc} in the topology and {@code tikv-cdc} on disk. */
    public static final ComponentSchema KVCDC =
            schema("kvcdc", "kvcdc_servers", "tikv-cdc", true, Set.of("gc-ttl", "tz", "offline"), port("port", 8600));
    /** TiUP enables {@code ng_port} (NgMonitoring) by default since v5.4.0. */
    public static final ComponentSchema PROMETHEUS = unauthenticated(schema(
            "prometheus",
            "monitoring_servers",
            "prometheus",
            true,
            Set.of(
                    "storage_retention",
                    "rule_dir",
                    "remote_config",
                    "external_alertmanagers",
                    "pushgateway_addrs",
                    "additional_scrape_conf",
                    "scrape_interval",
                    "scrape_timeout",
                    "additional_args"),
            port("port", 9090),
            port("ng_port", 12020)));

    public static final ComponentSchema GRAFANA = schema(
            "grafana",
            "grafana_servers",
            "grafana",
            false,
            Set.of(
                    "username",
                    "password",
                    "dashboard_dir",
                    "anonymous_enable",
                    "root_url",
                    "domain",
                    "default_theme",
                    "org_name",
                    "org_role"),
            port("port", 3000));
    public static final ComponentSchema ALERTMANAGER = unauthenticated(schema(
            "alertmanager",
            "alertmanager_servers",
            "alertmanager",
            true,
            Set.of("config_file"),
            port("web_port", 9093),
            port("cluster_port", 9094)));
    public static final ComponentSchema MARIADB = schema(
            "mariadb", "mariadb_servers", "mariadb", true, Set.of("role", "server_id", "ha"), port("port", 3306));
    public static final ComponentSchema HAPROXY = schema(
            "haproxy",
            "haproxy_servers",
            "haproxy",
            false,
            Set.of(),
            port("port", 4000),
            port("read_port", 4001),
            port("stats_port", 8404));
    public static final ComponentSchema ETCD = schema(
            "etcd",
            "etcd_servers",
            "etcd",
            true,
            Set.of("name", "initial_cluster_state"),
            port("client_port", 2379),
            port("peer_port", 2380));

    /** The exporters under {@code monitored}, one per host; their ports come from {@code monitored}. */
    public static final ComponentSchema NODE_EXPORTER = unauthenticated(
            schema("node_exporter", "monitored", "monitor", false, Set.of(), port("node_exporter_port", 9100)));

    public static final ComponentSchema BLACKBOX_EXPORTER = unauthenticated(
            schema("blackbox_exporter", "monitored", "monitor", false, Set.of(), port("blackbox_exporter_port", 9115)));

    private static final Map<String, ComponentSchema> BY_SECTION = bySection(List.of(
            PD,
            TSO,
            SCHEDULING,
            TIDB_DASHBOARD,
            TIPROXY,
            TIKV,
            PUMP,
            TIDB,
            TIFLASH,
            DRAINER,
            CDC,
            KVCDC,
            PROMETHEUS,
            GRAFANA,
            ALERTMANAGER,
            MARIADB,
            HAPROXY,
            ETCD));

    private static final Set<ComponentSchema> MONITORING =
            Set.of(PROMETHEUS, GRAFANA, ALERTMANAGER, NODE_EXPORTER, BLACKBOX_EXPORTER);

    private Schemas() {}

    /** The sections a topology may declare, in order. */
    public static List<ComponentSchema> sections() {
        return List.copyOf(BY_SECTION.values());
    }

    public static Optional<ComponentSchema> bySection(String section) {
        return Optional.ofNullable(BY_SECTION.get(section));
    }

    public static Optional<ComponentSchema> byComponent(String component) {
        return BY_SECTION.values().stream()
                .filter(schema -> schema.component().equals(component))
                .findFirst()
                .or(() -> List.of(NODE_EXPORTER, BLACKBOX_EXPORTER).stream()
                        .filter(schema -> schema.component().equals(component))
                        .findFirst());
    }

    /**
     * Whether the component only watches the cluster (Prometheus, Grafana, Alertmanager, the
     * exporters); a topology of nothing else has nothing to run.
     */
    public static boolean isMonitoring(ComponentSchema schema) {
        return MONITORING.contains(schema);
    }

    private static ComponentSchema schema(
            String component, String section, String dirRole, boolean stateful, Set<String> extra, PortSpec... ports) {
        return new ComponentSchema(component, section, dirRole, List.of(ports), stateful, extra, false);
    }

    /** A component that answers anyone, such as an exporter: see {@link ComponentSchema#unauthenticated()}. */
    private static ComponentSchema unauthenticated(ComponentSchema schema) {
        return new ComponentSchema(
                schema.component(),
                schema.section(),
                schema.dirRole(),
                schema.ports(),
                schema.stateful(),
                schema.extraFields(),
                true);
    }

    private static PortSpec port(String field, int defaultPort) {
        return new PortSpec(field, defaultPort);
    }

    private static Map<String, ComponentSchema> bySection(List<ComponentSchema> schemas) {
        Map<String, ComponentSchema> map = new LinkedHashMap<>();
        schemas.forEach(schema -> map.put(schema.section(), schema));
        return map;
    }
}
