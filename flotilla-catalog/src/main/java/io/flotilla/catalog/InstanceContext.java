package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import io.flotilla.topology.HostPort;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.nio.file.Path;
import java.util.Map;

/**
 * One instance seen with everything around it that rendering its files and command line needs.
 *
 * @param clusterName the cluster's name
 * @param topology the whole cluster, for peers (PD's initial cluster, Prometheus targets)
 * @param instance the instance itself
 * @param agentDir the directory of the host's agent; probes read passwords from its {@code secrets/}
 * @param osUser the operating system user the instance runs as
 * @param agentCheckPorts per host, the port where its agent answers HAProxy's agent-check; empty
 *     where no agent runs (Kubernetes)
 */
public record InstanceContext(
        String clusterName,
        Topology topology,
        Instance instance,
        Path agentDir,
        String osUser,
        Map<String, Integer> agentCheckPorts) {
    public InstanceContext {
        requireNonNull(clusterName, "clusterName is null");
        requireNonNull(topology, "topology is null");
        requireNonNull(instance, "instance is null");
        requireNonNull(agentDir, "agentDir is null");
        requireNonNull(osUser, "osUser is null");
        agentCheckPorts = Map.copyOf(agentCheckPorts);
    }

    public InstanceContext(String clusterName, Topology topology, Instance instance, Path agentDir, String osUser) {
        this(clusterName, topology, instance, agentDir, osUser, Map.of());
    }

    public Path deployDir() {
        return Path.of(instance.deployDir());
    }

    public Path dataDir() {
        if (instance.dataDir() == null) {
            throw new IllegalStateException("%s %s has no data dir".formatted(instance.component(), instance.id()));
        }
        return Path.of(instance.dataDir());
    }

    public Path logDir() {
        return Path.of(instance.logDir());
    }

    public Path confFile(String name) {
        return deployDir().resolve("conf").resolve(name);
    }

    /** The file, readable only by its owner, that holds the cluster's root password on this host. */
    public Path rootPasswordFile() {
        return agentDir.resolve("secrets").resolve("root-password");
    }

    /** The file, readable only by its owner, that holds the cluster's replication password on this host. */
    public Path replicationPasswordFile() {
        return agentDir.resolve("secrets").resolve("replication-password");
    }

    /** The address other hosts use to reach a port of this instance, an IPv6 one in brackets. */
    public String address(String portField) {
        return instance.address(portField);
    }

    /** The address to bind a port of this instance to, an IPv6 one in brackets. */
    public String listen(String portField) {
        return HostPort.of(instance.listenHost(), instance.port(portField));
    }

    /** Where a probe on the instance's own host connects: its listen address, or loopback for a wildcard. */
    public String connectHost() {
        String listen = instance.listenHost();
        return listen.equals("0.0.0.0") || listen.equals("::") ? "127.0.0.1" : listen;
    }

    /** The URL of a page a port of this instance serves, as a probe on its own host fetches it. */
    public String localUrl(String portField, String path) {
        return "http://" + HostPort.of(connectHost(), instance.port(portField)) + path;
    }
}
