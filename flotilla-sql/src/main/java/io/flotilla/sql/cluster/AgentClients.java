package io.flotilla.sql.cluster;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent clients of every statement, kept from one statement to the next: a client per agent
 * address, the agents of one cluster all sending through one HTTP client (its TLS trusts that
 * cluster's CA alone), so that connections are reused and one selector thread serves a cluster's
 * agents. Building and closing an HTTP client per agent for each statement cost more than the agents
 * took to answer (a statement over 100 agents spent most of its time in {@code HttpClient.close()}).
 */
final class AgentClients implements AutoCloseable {
    private final Duration timeout;
    private final Map<String, Cluster> byCluster = new ConcurrentHashMap<>();

    /** One cluster's HTTP client, for the CAs it trusts, and its agents' clients. */
    private record Cluster(List<X509Certificate> trusted, HttpClient http, Map<String, Client> byAddress) {}

    private record Client(String token, AgentClient agent) {}

    /** @param timeout bounds connecting to an agent and each of its answers */
    AgentClients(Duration timeout) {
        this.timeout = requireNonNull(timeout, "timeout is null");
    }

    /**
     * The client of {@code cluster}'s agent at {@code address} ({@code host:port}) holding {@code
     * token}, trusting {@code trusted}; a new one when the token changed (the cluster was deployed
     * again), and a new HTTP client for the cluster when its CAs changed (a {@code tls rotate}).
     */
    AgentClient get(String cluster, List<X509Certificate> trusted, String address, String token) {
        requireNonNull(address, "address is null");
        requireNonNull(token, "token is null");
        Cluster agents = byCluster.compute(cluster, (ignored, old) -> {
            if (old != null && old.trusted().equals(trusted)) {
                return old;
            }
            if (old != null) {
                // Calls in flight finish; new ones go through the new client.
                old.http().shutdown();
            }
            return new Cluster(
                    List.copyOf(trusted),
                    AgentClient.sharedHttp(timeout, AgentTls.pinned(trusted)),
                    new ConcurrentHashMap<>());
        });
        return agents.byAddress()
                .compute(address, (ignored, old) -> {
                    if (old != null && old.token().equals(token)) {
                        return old;
                    }
                    return new Client(
                            token, new AgentClient(URI.create("https://" + address), token, timeout, agents.http()));
                })
                .agent();
    }

    /** Closes the clients of every cluster but {@code clusters}: those that were destroyed. */
    void retainClusters(Set<String> clusters) {
        byCluster.keySet().stream()
                .filter(cluster -> !clusters.contains(cluster))
                .toList()
                .forEach(cluster -> {
                    Cluster gone = byCluster.remove(cluster);
                    if (gone != null) {
                        gone.http().shutdown();
                    }
                });
    }

    /** Forgets the clients of {@code cluster}'s agents but those at {@code addresses}. */
    void retainAddresses(String cluster, Set<String> addresses) {
        Cluster agents = byCluster.get(cluster);
        if (agents != null) {
            agents.byAddress().keySet().retainAll(addresses);
        }
    }

    /** How many clusters and agents have clients; tests read it. */
    int size() {
        return byCluster.values().stream()
                .mapToInt(cluster -> 1 + cluster.byAddress().size())
                .sum();
    }

    @Override
    public void close() {
        byCluster.values().forEach(cluster -> cluster.http().close());
        byCluster.clear();
    }
}
