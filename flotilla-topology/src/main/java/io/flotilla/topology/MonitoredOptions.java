package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

/**
 * The {@code monitored} section: the exporters that run on every host of the cluster, with TiUP's
 * defaults and its directories resolved to absolute paths on the hosts.
 */
public record MonitoredOptions(
        int nodeExporterPort, int blackboxExporterPort, String deployDir, String dataDir, String logDir) {
    public MonitoredOptions {
        requireNonNull(deployDir, "deployDir is null");
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(logDir, "logDir is null");
    }
}
