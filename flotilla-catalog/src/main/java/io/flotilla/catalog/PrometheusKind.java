package io.flotilla.catalog;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import io.flotilla.topology.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Prometheus, scraping every exporter and metrics endpoint of the cluster. */
public final class PrometheusKind extends PackagedKind {
    /** Which port of which component serves metrics, and under what job name. */
    private static final List<ScrapeTarget> TARGETS = List.of(
            new ScrapeTarget("prometheus", "prometheus", "port", "/metrics"),
            new ScrapeTarget("node_exporter", "node_exporter", "node_exporter_port", "/metrics"),
            new ScrapeTarget("blackbox_exporter", "blackbox_exporter", "blackbox_exporter_port", "/metrics"),
            new ScrapeTarget("alertmanager", "alertmanager", "web_port", "/metrics"),
            new ScrapeTarget("haproxy", "haproxy", "stats_port", "/metrics"),
            new ScrapeTarget("etcd", "etcd", "client_port", "/metrics"),
            new ScrapeTarget("pd", "pd", "client_port", "/metrics"),
            new ScrapeTarget("tikv", "tikv", "status_port", "/metrics"),
            new ScrapeTarget("tidb", "tidb", "status_port", "/metrics"),
            new ScrapeTarget("tiflash", "tiflash", "metrics_port", "/metrics"),
            new ScrapeTarget("tiproxy", "tiproxy", "status_port", "/api/metrics"),
            new ScrapeTarget("cdc", "cdc", "port", "/metrics"));

    private record ScrapeTarget(String job, String component, String portField, String path) {}

    public PrometheusKind() {
        super(Schemas.PROMETHEUS, "/usr/bin/prometheus", "prometheus", Duration.ofSeconds(60));
    }

    @Override
    public Set<String> dependencies(String tier) {
        return Set.of("alertmanager");
    }

    @Override
    public List<String> commandLine(InstanceContext context) {
        String retention = context.instance().field("storage_retention").orElse("30d");
        return List.of(
                binary(),
                "--config.file=" + context.confFile("prometheus.yml"),
                "--web.listen-address=" + context.listen("port"),
                "--web.external-url=http://" + context.address("port"),
                "--web.enable-admin-api",
                "--storage.tsdb.path=" + context.dataDir(),
                "--storage.tsdb.retention.time=" + retention);
    }

    @Override
    public Map<String, String> configFiles(InstanceContext context) {
        Topology topology = context.topology();
        StringBuilder yaml = new StringBuilder();
        yaml.append("# Written by Flotilla for cluster ")
                .append(context.clusterName())
                .append(". Changes are replaced on deploy.\n");
        yaml.append("global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n  external_labels:\n")
                .append("    cluster: ")
                .append(quoted(context.clusterName()))
                .append('\n');
        List<Instance> alertmanagers = topology.instances("alertmanager");
        if (!alertmanagers.isEmpty()) {
            yaml.append("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets:\n");
            alertmanagers.forEach(
                    am -> yaml.append("            - ").append(quoted(am.id())).append('\n'));
        }
        yaml.append("scrape_configs:\n");
        for (ScrapeTarget target : TARGETS) {
            Map<String, String> addresses = new LinkedHashMap<>();
            for (Instance instance : topology.instances(target.component())) {
                addresses.put(instance.address(target.portField()), instance.id());
            }
            if (addresses.isEmpty()) {
                continue;
            }
            yaml.append("  - job_name: ").append(quoted(target.job())).append('\n');
            yaml.append("    metrics_path: ").append(quoted(target.path())).append('\n');
            yaml.append("    static_configs:\n");
            List<String> lines = new ArrayList<>();
            addresses.forEach((address, id) -> lines.add("      - targets: [%s]\n        labels: { instance_id: %s }\n"
                    .formatted(quoted(address), quoted(id))));
            lines.forEach(yaml::append);
        }
        return Map.of("conf/prometheus.yml", yaml.toString());
    }

    /** Prometheus re-reads its file on HUP; its status page shows the configuration it has loaded. */
    @Override
    public Optional<Reload> reload() {
        return Optional.of(new Reload("HUP", "port", "/api/v1/status/config", PrometheusKind::loadedMarkers));
    }

    /**
     * The addresses Prometheus scrapes on {@code other}, as its loaded configuration lists them: a
     * YAML list item, quoted when it starts with an IPv6 host's bracket, in the page's JSON (where
     * a line break is {@code \\n}).
     */
    private static List<String> loadedMarkers(Instance other) {
        return TARGETS.stream()
                .filter(target -> target.component().equals(other.component()))
                .map(target -> other.address(target.portField()))
                .map(address -> "- %s\\n".formatted(address.startsWith("[") ? quoted(address) : address))
                .toList();
    }

    static String quoted(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    @Override
    public Probe readiness(InstanceContext context) {
        return new Probe.HttpOk(context.localUrl("port", "/-/ready"), "");
    }

    @Override
    public Map<String, String> endpoints(Topology topology) {
        return topology.instances(name()).stream()
                .findFirst()
                .map(first -> Map.of(Endpoints.PROMETHEUS, first.id()))
                .orElse(Map.of());
    }
}
