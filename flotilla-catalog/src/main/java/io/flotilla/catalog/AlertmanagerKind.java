package io.flotilla.catalog;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.ComponentSchema;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import io.flotilla.topology.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Alertmanager; several instances form a gossip cluster through their {@code cluster_port}. */
public final class AlertmanagerKind implements ComponentKind {
    @Override
    public ComponentSchema schema() {
        return Schemas.ALERTMANAGER;
    }

    @Override
    public Support support() {
        return Support.RUNNABLE;
    }

    @Override
    public String binary() {
        return "/usr/bin/prometheus-alertmanager";
    }

    @Override
    public String binaryPackage() {
        return "prometheus-alertmanager";
    }

    @Override
    public Set<String> dependencies(String tier) {
        return Set.of();
    }

    @Override
    public Duration readyTimeout() {
        return Duration.ofSeconds(30);
    }

    @Override
    public List<String> commandLine(InstanceContext context) {
        List<String> command = new ArrayList<>(List.of(
                binary(),
                "--config.file=" + context.confFile("alertmanager.yml"),
                "--storage.path=" + context.dataDir(),
                "--data.retention=120h",
                "--web.listen-address=" + context.listen("web_port"),
                "--cluster.listen-address=" + context.listen("cluster_port")));
        for (Instance peer : context.topology().instances("alertmanager")) {
            if (!peer.equals(context.instance())) {
                command.add("--cluster.peer=%s:%d".formatted(peer.host(), peer.port("cluster_port")));
            }
        }
        return List.copyOf(command);
    }

    @Override
    public Map<String, String> configFiles(InstanceContext context) {
        return Map.of("conf/alertmanager.yml", """
                # Written by Flotilla. Changes are replaced on deploy.
                route:
                  receiver: default
                  group_by: ['alertname', 'cluster']
                receivers:
                  - name: default
                """);
    }

    @Override
    public Probe readiness(InstanceContext context) {
        Instance instance = context.instance();
        return new Probe.HttpOk(
                "http://%s:%d/-/ready".formatted(HaproxyKind.connectHost(instance), instance.port("web_port")), "");
    }

    @Override
    public Map<String, String> endpoints(Topology topology) {
        return topology.instances(name()).stream()
                .findFirst()
                .map(first -> Map.of(Endpoints.ALERTMANAGER, first.id()))
                .orElse(Map.of());
    }
}
