package io.flotilla.catalog;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.ComponentSchema;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Prometheus' node_exporter, on every host of the cluster through {@code monitored}. */
public final class NodeExporterKind implements ComponentKind {
    @Override
    public ComponentSchema schema() {
        return Schemas.NODE_EXPORTER;
    }

    @Override
    public Support support() {
        return Support.RUNNABLE;
    }

    @Override
    public String binary() {
        return "/usr/bin/prometheus-node-exporter";
    }

    @Override
    public String binaryPackage() {
        return "prometheus-node-exporter";
    }

    @Override
    public Set<String> dependencies(String tier) {
        return Set.of();
    }

    @Override
    public Duration readyTimeout() {
        return Duration.ofSeconds(20);
    }

    @Override
    public int stopTimeoutSeconds() {
        return 10;
    }

    @Override
    public List<String> commandLine(InstanceContext context) {
        return List.of(
                binary(),
                "--web.listen-address=" + context.listen("node_exporter_port"),
                "--collector.tcpstat",
                "--collector.mountstats",
                "--collector.meminfo_numa",
                "--collector.buddyinfo");
    }

    @Override
    public Map<String, String> configFiles(InstanceContext context) {
        return Map.of();
    }

    @Override
    public Probe readiness(InstanceContext context) {
        Instance instance = context.instance();
        return new Probe.HttpOk(
                "http://%s:%d/metrics".formatted(HaproxyKind.connectHost(instance), instance.mainPort()),
                "node_exporter_build_info");
    }

    @Override
    public boolean everyHost() {
        return true;
    }
}
