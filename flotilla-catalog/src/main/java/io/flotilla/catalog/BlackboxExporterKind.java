package io.flotilla.catalog;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.ComponentSchema;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Prometheus' blackbox_exporter, on every host of the cluster through {@code monitored}. */
public final class BlackboxExporterKind implements ComponentKind {
    @Override
    public ComponentSchema schema() {
        return Schemas.BLACKBOX_EXPORTER;
    }

    @Override
    public Support support() {
        return Support.RUNNABLE;
    }

    @Override
    public String binary() {
        return "/usr/bin/prometheus-blackbox-exporter";
    }

    @Override
    public String binaryPackage() {
        return "prometheus-blackbox-exporter";
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
                "--config.file=" + context.confFile("blackbox.yml"),
                "--web.listen-address=" + context.listen("blackbox_exporter_port"));
    }

    @Override
    public Map<String, String> configFiles(InstanceContext context) {
        return Map.of("conf/blackbox.yml", """
                # Written by Flotilla. Changes are replaced on deploy.
                modules:
                  tcp_connect:
                    prober: tcp
                    timeout: 5s
                  http_2xx:
                    prober: http
                    timeout: 5s
                """);
    }

    @Override
    public Probe readiness(InstanceContext context) {
        Instance instance = context.instance();
        return new Probe.HttpOk(
                "http://%s:%d/metrics".formatted(HaproxyKind.connectHost(instance), instance.mainPort()), "");
    }

    @Override
    public boolean everyHost() {
        return true;
    }
}
