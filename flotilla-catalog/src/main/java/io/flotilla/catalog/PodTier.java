package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.nio.file.Path;

/**
 * One tier as Kubernetes runs it: {@code replicas} pods from one template, which the tier's first
 * instance speaks for (its ports and config).
 *
 * @param name the catalog's tier name ({@code pd}, {@code mariadb-replica})
 */
public record PodTier(String name, Instance first, int replicas, Topology topology, String clusterName) {
    /** Where the catalog's files would go on a host; pods only take the files' content from it. */
    private static final Path NO_AGENT_DIR = Path.of("/var/lib/flotilla");

    public PodTier {
        requireNonNull(name, "name is null");
        requireNonNull(first, "first is null");
        requireNonNull(topology, "topology is null");
        requireNonNull(clusterName, "clusterName is null");
    }

    public int port(String field) {
        return first.port(field);
    }

    /** The first instance's context, for what the catalog renders from it (files, probes). */
    public InstanceContext context() {
        return new InstanceContext(clusterName, topology, first, NO_AGENT_DIR, "root");
    }

    /** The first line of each file written for the tier's pods. */
    public String header() {
        return "# Written by Flotilla for the %s pods of %s.\n".formatted(name, clusterName);
    }
}
