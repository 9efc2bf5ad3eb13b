package io.flotilla.sql.cluster;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.engine.ClusterMeta;
import io.flotilla.sql.Warnings;
import io.flotilla.topology.HostPort;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One cluster's instances and the agents that answer for them, for the length of one statement.
 * Agents are asked in parallel, on virtual threads, at most {@link #MAX_CALLS_AT_ONCE} at a time;
 * an agent that fails or does not answer within the per-node timeout becomes a warning naming the
 * instance and host, and the others still answer. The agent clients outlive it (see {@link AgentClients}).
 */
final class ClusterNodes {
    /** Agent calls in flight at once for one statement: the one bound on the fan-out. */
    static final int MAX_CALLS_AT_ONCE = 32;

    private final String cluster;
    private final Topology topology;
    private final ClusterMeta meta;
    private final String token;
    private final List<X509Certificate> trusted;
    private final Duration timeout;
    private final AtomicLong calls;
    private final AgentClients agents;

    ClusterNodes(
            String cluster,
            Topology topology,
            ClusterMeta meta,
            String token,
            List<X509Certificate> trusted,
            Duration timeout,
            AtomicLong calls,
            AgentClients agents) {
        this.cluster = requireNonNull(cluster, "cluster is null");
        this.topology = requireNonNull(topology, "topology is null");
        this.meta = requireNonNull(meta, "meta is null");
        this.token = requireNonNull(token, "token is null");
        this.trusted = List.copyOf(trusted);
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.calls = requireNonNull(calls, "calls is null");
        this.agents = requireNonNull(agents, "agents is null");
        // The client of an agent the cluster no longer has (its host scaled in) goes.
        agents.retainAddresses(
                cluster,
                meta.agentPorts().entrySet().stream()
                        .map(entry -> HostPort.of(entry.getKey(), entry.getValue()))
                        .collect(Collectors.toSet()));
    }

    String cluster() {
        return cluster;
    }

    Topology topology() {
        return topology;
    }

    List<Instance> instances() {
        return topology.instances();
    }

    /** Where the instance's agent answers: the address its status is asked at. */
    String statusAddress(Instance instance) {
        Integer port = meta.agentPorts().get(instance.host());
        return port == null ? "" : HostPort.of(instance.host(), port);
    }

    Duration timeout() {
        return timeout;
    }

    AgentClient agent(String host) {
        Integer port = meta.agentPorts().get(host);
        if (port == null) {
            throw new AgentException(
                    AgentException.Code.UNREACHABLE,
                    "cluster '%s' has no agent port for host %s".formatted(cluster, host));
        }
        if (trusted.isEmpty()) {
            throw new AgentException(
                    AgentException.Code.NOT_TRUSTED,
                    "the agents of cluster '%s' have no TLS certificates yet; run `flotilla cluster tls rotate %s`"
                            .formatted(cluster, cluster));
        }
        return agents.get(cluster, trusted, HostPort.of(host, port), token);
    }

    /** Asks each instance's agent about that instance; a failure is a warning and no rows. */
    <T> List<T> perInstance(List<Instance> targets, Warnings warnings, InstanceCall<T> call) {
        Map<Instance, List<T>> results = fanOut(
                targets, instance -> List.of(instance), warnings, (instance, agent) -> call.ask(agent, instance));
        List<T> rows = new ArrayList<>();
        targets.forEach(instance -> rows.addAll(results.getOrDefault(instance, List.of())));
        return rows;
    }

    /**
     * Asks each host's agent once for all the targets on it; a failure is a warning for each of them.
     * The answer is keyed by the host.
     */
    <T> Map<String, List<T>> perHost(List<Instance> targets, Warnings warnings, HostCall<T> call) {
        Map<String, List<Instance>> byHost = new LinkedHashMap<>();
        targets.forEach(instance -> byHost.computeIfAbsent(instance.host(), ignored -> new ArrayList<>())
                .add(instance));
        List<Instance> firsts = byHost.values().stream().map(List::getFirst).toList();
        Map<Instance, List<T>> results = fanOut(
                firsts,
                first -> byHost.get(first.host()),
                warnings,
                (first, agent) -> call.ask(agent, byHost.get(first.host())));
        Map<String, List<T>> byHostResult = new LinkedHashMap<>();
        results.forEach((first, rows) -> byHostResult.put(first.host(), rows));
        return byHostResult;
    }

    private <T> Map<Instance, List<T>> fanOut(
            List<Instance> keys,
            Function<Instance, List<Instance>> blamed,
            Warnings warnings,
            BiFunction<Instance, AgentClient, List<T>> call) {
        Map<Instance, List<T>> results = new ConcurrentHashMap<>();
        Semaphore permits = new Semaphore(MAX_CALLS_AT_ONCE);
        try (ExecutorService threads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("cluster-sql-", 0).factory())) {
            Map<Instance, Future<List<T>>> futures = new LinkedHashMap<>();
            for (Instance key : keys) {
                futures.put(key, threads.submit(() -> {
                    permits.acquire();
                    try {
                        calls.incrementAndGet();
                        return call.apply(key, agent(key.host()));
                    } finally {
                        permits.release();
                    }
                }));
            }
            // The client's own timeouts bound each call; this bound covers a call stuck elsewhere.
            long deadline =
                    System.nanoTime() + timeout.multipliedBy(2).plusSeconds(1).toNanos();
            for (Map.Entry<Instance, Future<List<T>>> entry : futures.entrySet()) {
                Instance key = entry.getKey();
                try {
                    results.put(
                            key, entry.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    blamed.apply(key).forEach(instance -> warnings.warn(failure(instance, cause)));
                } catch (TimeoutException e) {
                    entry.getValue().cancel(true);
                    blamed.apply(key)
                            .forEach(instance -> warnings.warn("instance %s at host %s did not answer in %d ms"
                                    .formatted(instance.id(), instance.host(), timeout.toMillis())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while asking the agents of cluster " + cluster, e);
                }
            }
            threads.shutdownNow();
        }
        return results;
    }

    private String failure(Instance instance, Throwable cause) {
        if (cause instanceof AgentException agent
                && (agent.code() == AgentException.Code.UNREACHABLE || agent.code() == AgentException.Code.TIMEOUT)) {
            return "instance %s at host %s did not answer in %d ms: %s"
                    .formatted(instance.id(), instance.host(), timeout.toMillis(), agent.getMessage());
        }
        return "instance %s at host %s: %s"
                .formatted(
                        instance.id(),
                        instance.host(),
                        cause.getMessage() == null ? cause.toString() : cause.getMessage());
    }

    @FunctionalInterface
    interface InstanceCall<T> {
        List<T> ask(AgentClient agent, Instance instance);
    }

    @FunctionalInterface
    interface HostCall<T> {
        List<T> ask(AgentClient agent, List<Instance> onHost);
    }
}
