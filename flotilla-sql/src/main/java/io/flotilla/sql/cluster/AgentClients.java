package io.flotilla.sql.cluster;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent clients of every statement, kept from one statement to the next: a client per agent
 * address, all sending through one HTTP client, so that connections are reused and one selector
 * thread serves every agent. Building and closing an HTTP client per agent for each statement cost
 * more than the agents took to answer (a statement over 100 agents spent most of its time in
 * {@code HttpClient.close()}).
 */
final class AgentClients implements AutoCloseable {
    private final Duration timeout;
    private final HttpClient http;
    private final Map<String, Client> byAddress = new ConcurrentHashMap<>();

    private record Client(String token, AgentClient agent) {}

    /** @param timeout bounds connecting to an agent and each of its answers */
    AgentClients(Duration timeout) {
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.http = AgentClient.sharedHttp(timeout);
    }

    /**
     * The client of the agent at {@code address} ({@code host:port}) holding {@code token}; a new one
     * when the token changed (the cluster was deployed again).
     */
    AgentClient get(String address, String token) {
        requireNonNull(address, "address is null");
        requireNonNull(token, "token is null");
        return byAddress
                .compute(address, (ignored, old) -> {
                    if (old != null && old.token().equals(token)) {
                        return old;
                    }
                    return new Client(token, new AgentClient(URI.create("http://" + address), token, timeout, http));
                })
                .agent();
    }

    @Override
    public void close() {
        byAddress.clear();
        http.close();
    }
}
