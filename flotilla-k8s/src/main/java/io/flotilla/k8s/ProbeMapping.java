package io.flotilla.k8s;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.flotilla.agent.api.Probe;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * Turns the catalog's readiness probes into what a kubelet can run. A kubelet runs one probe per
 * container and speaks only HTTP, TCP and exec, so an {@code allOf} keeps its strongest member the
 * kubelet can run: an HTTP check before a TCP connect.
 */
final class ProbeMapping {
    private ProbeMapping() {}

    /** A kubelet-runnable form of {@code probe} against the pod itself; empty when none of it can run there. */
    static Optional<io.fabric8.kubernetes.api.model.Probe> readiness(Probe probe) {
        return handler(probe)
                .map(handler -> handler.builder()
                        .withPeriodSeconds(5)
                        .withFailureThreshold(3)
                        .withTimeoutSeconds(2)
                        .build());
    }

    /**
     * Liveness only asks whether the process still listens: a PD without quorum or a TiKV without
     * PD fails its health check while being fine, and restarting it would make things worse. It
     * waits for the component's whole start time before the first check.
     */
    static io.fabric8.kubernetes.api.model.Probe liveness(int port, long readySeconds) {
        return new ProbeBuilder()
                .withNewTcpSocket()
                .withPort(new IntOrString(port))
                .endTcpSocket()
                .withInitialDelaySeconds((int) readySeconds)
                .withPeriodSeconds(10)
                .withTimeoutSeconds(2)
                .withFailureThreshold(6)
                .build();
    }

    private static Optional<Handler> handler(Probe probe) {
        return switch (probe) {
            case Probe.HttpOk http -> {
                URI uri = URI.create(http.url());
                // httpGet checks the status only; a body the catalog expects (PD's "health": true)
                // is one a healthy component returns with 200 anyway.
                yield Optional.of(new Handler(Handler.Kind.HTTP, uri.getPort(), uri.getRawPath()));
            }
            case Probe.PortOpen port -> Optional.of(new Handler(Handler.Kind.TCP, port.port(), ""));
            // A kubelet cannot speak the MySQL protocol, and an exec probe would need the root
            // password in the pod's environment and a client in every image: a TCP connect to the
            // SQL port is the part of SELECT 1 the kubelet can check.
            case Probe.SqlPing sql -> Optional.of(new Handler(Handler.Kind.TCP, sql.port(), ""));
            case Probe.ReplicaRunning replica -> Optional.of(new Handler(Handler.Kind.TCP, replica.port(), ""));
            // Read from a Unix socket or a log file on the host: nothing a kubelet can reach.
            case Probe.HaproxyBackendsUp ignored -> Optional.empty();
            case Probe.LogLine ignored -> Optional.empty();
            case Probe.AllOf all -> strongest(all.probes());
        };
    }

    private static Optional<Handler> strongest(List<Probe> probes) {
        List<Handler> handlers = probes.stream()
                .map(ProbeMapping::handler)
                .flatMap(Optional::stream)
                .toList();
        return handlers.stream()
                .filter(handler -> handler.kind() == Handler.Kind.HTTP)
                .findFirst()
                .or(() -> handlers.stream().findFirst());
    }

    private record Handler(Kind kind, int port, String path) {
        enum Kind {
            HTTP,
            TCP
        }

        ProbeBuilder builder() {
            ProbeBuilder builder = new ProbeBuilder();
            switch (kind) {
                case HTTP ->
                    builder.withNewHttpGet()
                            .withPath(path)
                            .withPort(new IntOrString(port))
                            .endHttpGet();
                case TCP ->
                    builder.withNewTcpSocket().withPort(new IntOrString(port)).endTcpSocket();
            }
            return builder;
        }
    }
}
