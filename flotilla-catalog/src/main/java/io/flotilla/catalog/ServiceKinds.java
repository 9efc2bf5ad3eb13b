package io.flotilla.catalog;

import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The components that are {@link ServiceKind}s: Prometheus' exporters, on every host, and Alertmanager. */
final class ServiceKinds {
    private ServiceKinds() {}

    static List<ComponentKind> standard() {
        return List.of(alertmanager(), nodeExporter(), blackboxExporter());
    }

    /** Prometheus' node_exporter, on every host of the cluster through {@code monitored}. */
    private static ServiceKind nodeExporter() {
        return new ServiceKind(
                Schemas.NODE_EXPORTER,
                "/usr/bin/prometheus-node-exporter",
                "prometheus-node-exporter",
                Duration.ofSeconds(20),
                10,
                context -> List.of(
                        "--web.listen-address=" + context.listen("node_exporter_port"),
                        "--collector.tcpstat",
                        "--collector.mountstats",
                        "--collector.meminfo_numa",
                        "--collector.buddyinfo"),
                Map.of(),
                "node_exporter_port",
                "/metrics",
                "node_exporter_build_info",
                true,
                Optional.empty());
    }

    /** Prometheus' blackbox_exporter, on every host, probing TCP and HTTP for the cluster's Prometheus. */
    private static ServiceKind blackboxExporter() {
        return new ServiceKind(
                Schemas.BLACKBOX_EXPORTER,
                "/usr/bin/prometheus-blackbox-exporter",
                "prometheus-blackbox-exporter",
                Duration.ofSeconds(20),
                10,
                context -> List.of(
                        "--config.file=" + context.confFile("blackbox.yml"),
                        "--web.listen-address=" + context.listen("blackbox_exporter_port")),
                Map.of("conf/blackbox.yml", """
                        # Written by Flotilla. Changes are replaced on deploy.
                        modules:
                          tcp_connect:
                            prober: tcp
                            timeout: 5s
                          http_2xx:
                            prober: http
                            timeout: 5s
                        """),
                "blackbox_exporter_port",
                "/metrics",
                "",
                true,
                Optional.empty());
    }

    /** Alertmanager; several instances form a gossip cluster through their {@code cluster_port}. */
    private static ServiceKind alertmanager() {
        return new ServiceKind(
                Schemas.ALERTMANAGER,
                "/usr/bin/prometheus-alertmanager",
                "prometheus-alertmanager",
                Duration.ofSeconds(30),
                30,
                context -> {
                    List<String> arguments = new ArrayList<>(List.of(
                            "--config.file=" + context.confFile("alertmanager.yml"),
                            "--storage.path=" + context.dataDir(),
                            "--data.retention=120h",
                            "--web.listen-address=" + context.listen("web_port"),
                            "--cluster.listen-address=" + context.listen("cluster_port")));
                    for (Instance peer : context.topology().instances(Schemas.ALERTMANAGER.component())) {
                        if (!peer.equals(context.instance())) {
                            arguments.add("--cluster.peer=" + peer.address("cluster_port"));
                        }
                    }
                    return arguments;
                },
                Map.of("conf/alertmanager.yml", """
                        # Written by Flotilla. Changes are replaced on deploy.
                        route:
                          receiver: default
                          group_by: ['alertname', 'cluster']
                        receivers:
                          - name: default
                        """),
                "web_port",
                "/-/ready",
                "",
                false,
                Optional.of(Endpoints.ALERTMANAGER));
    }
}
