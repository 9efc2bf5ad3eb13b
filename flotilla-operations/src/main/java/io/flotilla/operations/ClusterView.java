package io.flotilla.operations;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/** A cluster as {@code display} shows it. */
public record ClusterView(String name, List<InstanceView> instances, Map<String, String> endpoints) {
    public ClusterView {
        requireNonNull(name, "name is null");
        instances = List.copyOf(instances);
        endpoints = Map.copyOf(endpoints);
    }

    /**
     * One instance.
     *
     * @param status {@code Up}, {@code Down}, {@code Unready}, {@code Restarting}, {@code Failed},
     *     {@code Disconnected} (its agent cannot be reached) or {@code Missing} (its agent does not know it)
     */
    public record InstanceView(
            String id,
            String role,
            String host,
            int port,
            List<Integer> ports,
            String status,
            String deployDir,
            String dataDir,
            String detail) {
        public InstanceView {
            requireNonNull(id, "id is null");
            requireNonNull(role, "role is null");
            requireNonNull(host, "host is null");
            ports = List.copyOf(ports);
            requireNonNull(status, "status is null");
            requireNonNull(deployDir, "deployDir is null");
            requireNonNull(detail, "detail is null");
        }
    }
}
