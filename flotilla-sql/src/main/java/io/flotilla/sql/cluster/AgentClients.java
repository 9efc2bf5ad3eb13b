package io.flotilla.sql.cluster;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.AgentClient;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent clients of every statement, kept from one statement to the next: a client per agent
 * address, so that its HTTP connections are reused. Building and closing an HTTP client per agent
 * for each statement cost more than the agents took to answer (a statement over 100 agents spent
 * most of its time in {@code HttpClient.close()}).
 */
final class AgentClients implements AutoCloseable {
    private final Duration timeout;
    private final Map<String, Client> byAddress = new ConcurrentHashMap<>();

    private record Client(String token, AgentClient agent) {}

    /** @param timeout bounds connecting to an agent and each of its answers */
    AgentClients(Duration timeout) {
        this.timeout = requireNonNull(timeout, "timeout is null");
    }

    /**
     * The client of the agent at {@code address} ({@code host:port}) holding {@code token}; a new one
     * when the token changed (the cluster was deployed again), the old one then closed.
     */
    AgentClient get(String address, String token) {
        requireNonNull(address, "address is null");
        requireNonNull(token, "token is null");
        return byAddress
                .compute(address, (ignored, old) -> {
                    if (old != null && old.token().equals(token)) {
                        return old;
                    }
                    if (old != null) {
                        // Closing waits for the requests still running: not under the map's lock.
                        Thread.ofVirtual().name("agent-client-close").start(old.agent()::close);
                    }
                    return new Client(token, new AgentClient(URI.create("http://" + address), token, timeout, timeout));
                })
                .agent();
    }

    @Override
    public void close() {
        byAddress.values().forEach(client -> client.agent().close());
        byAddress.clear();
    }
}
