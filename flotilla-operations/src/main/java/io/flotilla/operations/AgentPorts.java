package io.flotilla.operations;

import io.flotilla.engine.ClusterMeta;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.SshAccess;
import io.flotilla.exec.ListeningPorts;
import io.flotilla.topology.Topology;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses each host's agent port, the first from the base (9760 by default) up that nothing listens
 * on and no instance or other cluster uses, and the next such port for the agent's answers to
 * HAProxy's health checks.
 */
final class AgentPorts {
    private static final String VERSION = "0.1.0";

    private final FlotillaHome home;

    AgentPorts(FlotillaHome home) {
        this.home = home;
    }

    /** The cluster's new meta; with {@code connections}, the agent ports also avoid what listens on the hosts. */
    ClusterMeta newMeta(
            ClusterStore store,
            Topology topology,
            int agentPortBase,
            SshAccess ssh,
            Hosts connections,
            List<String> hosts) {
        String name = store.name();
        Map<String, ListeningPorts> listeningByHost =
                connections == null ? Map.of() : listeningPorts(hosts, connections);
        Map<String, Integer> agentPorts = new HashMap<>();
        Map<String, Integer> checkPorts = new HashMap<>();
        for (String host : hosts) {
            Set<Integer> taken = new HashSet<>();
            topology.instances().stream()
                    .filter(instance -> instance.host().equals(host))
                    .forEach(instance -> taken.addAll(instance.ports().values()));
            for (ClusterStore other : home.clusters()) {
                if (!other.name().equals(name)) {
                    ClusterMeta meta = other.meta();
                    taken.add(meta.agentPorts().getOrDefault(host, 0));
                    taken.add(meta.checkPorts().getOrDefault(host, 0));
                }
            }
            ListeningPorts listening = listeningByHost.getOrDefault(host, ListeningPorts.none());
            int agentPort = freePort(agentPortBase, taken, listening);
            taken.add(agentPort);
            agentPorts.put(host, agentPort);
            checkPorts.put(host, freePort(agentPort + 1, taken, listening));
        }
        return new ClusterMeta(
                name,
                VERSION,
                Instant.now().toString(),
                "deploying",
                agentPorts,
                checkPorts,
                ssh == null ? System.getProperty("user.name") : ssh.user(),
                ssh);
    }

    /**
     * What listens on each host, asked of every host at once over one pool of connections. It is
     * the first contact with the hosts, so a host that cannot be reached, or whose key is refused,
     * is reported here, with every other such host, before anything is written.
     */
    private static Map<String, ListeningPorts> listeningPorts(List<String> targets, Hosts hosts) {
        return HostBootstrap.onEveryHost(hosts, targets, (host, executor) -> ListeningPorts.of(executor));
    }

    private static int freePort(int from, Set<Integer> taken, ListeningPorts listening) {
        int port = from;
        while (taken.contains(port) || listening.owner(port).isPresent()) {
            port++;
        }
        return port;
    }
}
