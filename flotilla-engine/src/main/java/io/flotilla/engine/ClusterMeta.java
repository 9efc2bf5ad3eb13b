package io.flotilla.engine;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * What the control machine keeps about a cluster besides its topology and secrets.
 *
 * @param status {@code deploying} until a deploy finished, then {@code deployed}
 * @param agentPorts the agent port chosen on each host
 * @param checkPorts the port on each host where the agent answers HAProxy's agent-check
 * @param osUser the user its processes run as
 * @param ssh how other hosts are reached, or {@code null} when every host is this machine
 */
public record ClusterMeta(
        String name,
        String version,
        String createdAt,
        String status,
        Map<String, Integer> agentPorts,
        Map<String, Integer> checkPorts,
        String osUser,
        SshAccess ssh) {
    public ClusterMeta {
        requireNonNull(name, "name is null");
        requireNonNull(version, "version is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(status, "status is null");
        agentPorts = Map.copyOf(agentPorts);
        checkPorts = checkPorts == null ? Map.of() : Map.copyOf(checkPorts);
        requireNonNull(osUser, "osUser is null");
    }

    /** The same cluster with the agent ports of its hosts after a scale-out or scale-in. */
    public ClusterMeta withPorts(Map<String, Integer> newAgentPorts, Map<String, Integer> newCheckPorts) {
        return new ClusterMeta(name, version, createdAt, status, newAgentPorts, newCheckPorts, osUser, ssh);
    }

    public ClusterMeta withStatus(String newStatus) {
        return new ClusterMeta(name, version, createdAt, newStatus, agentPorts, checkPorts, osUser, ssh);
    }
}
