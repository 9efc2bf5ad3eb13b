package io.flotilla.topology;

import java.util.List;

/** The keys TiUP's topology format accepts in {@code global}, {@code monitored}, {@code resource_control} and every section. */
final class TopologyKeys {
    /** TiUP's {@code GlobalOptions}; {@code ssh_type}, {@code custom} and {@code pd_mode} are accepted and not used. */
    static final List<String> GLOBAL = List.of(
            "user",
            "group",
            "ssh_port",
            "ssh_type",
            "enable_tls",
            "listen_host",
            "deploy_dir",
            "data_dir",
            "log_dir",
            "resource_control",
            "os",
            "arch",
            "custom",
            "systemd_mode",
            "pd_mode",
            "mirror");

    static final List<String> MONITORED = List.of(
            "node_exporter_port",
            "blackbox_exporter_port",
            "node_exporter_version",
            "blackbox_exporter_version",
            "deploy_dir",
            "data_dir",
            "log_dir",
            "numa_node",
            "resource_control");
    static final List<String> RESOURCE_CONTROL =
            List.of("memory_limit", "cpu_quota", "io_read_bandwidth_max", "io_write_bandwidth_max", "limit_core");
    /** Fields every section accepts, besides its ports, its extra fields and, when it keeps data, data_dir. */
    static final List<String> COMMON = List.of(
            "host",
            "manage_host",
            "ssh_port",
            "listen_host",
            "deploy_dir",
            "log_dir",
            "numa_node",
            "numa_cores",
            "config",
            "resource_control",
            "arch",
            "os",
            "ignore_exporter",
            "source",
            "imported",
            "patched");

    private TopologyKeys() {}
}
