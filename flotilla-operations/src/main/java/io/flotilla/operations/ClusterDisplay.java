package io.flotilla.operations;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.ProbeResult;
import io.flotilla.catalog.Catalog;
import io.flotilla.plan.ClusterContext;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * The status of every instance of a cluster, asked of the agents in parallel: an agent that does
 * not answer makes its instances Disconnected, and the others still answer.
 */
final class ClusterDisplay {
    private final Catalog catalog;

    ClusterDisplay(Catalog catalog) {
        this.catalog = catalog;
    }

    ClusterView view(ClusterContext context) {
        String name = context.name();
        Topology topology = context.topology();
        // A cluster with no CA yet says so once, with what to run, rather than once per host.
        context.tls().context();
        Map<String, Map<String, InstanceStatus>> byHost = new ConcurrentHashMap<>();
        Map<String, String> unreachable = new ConcurrentHashMap<>();
        Map<String, ProbeResult> readiness = new ConcurrentHashMap<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> hosts = new ArrayList<>();
            for (String host : topology.hosts()) {
                hosts.add(threads.submit(() -> {
                    try {
                        byHost.put(
                                host,
                                context.agent(host).instances().stream()
                                        .collect(Collectors.toMap(InstanceStatus::id, status -> status)));
                    } catch (AgentException e) {
                        unreachable.put(host, e.getMessage());
                    }
                }));
            }
            waitAll(hosts);
            List<Future<?>> probes = new ArrayList<>();
            for (Instance instance : topology.instances()) {
                InstanceStatus status =
                        byHost.getOrDefault(instance.host(), Map.of()).get(instance.id());
                if (status != null && status.state() == InstanceStatus.State.RUNNING) {
                    probes.add(threads.submit(() -> {
                        try {
                            readiness.put(
                                    instance.id(),
                                    context.agent(instance.host()).ready(instance.id()));
                        } catch (AgentException e) {
                            readiness.put(instance.id(), ProbeResult.notReady(e.getMessage()));
                        }
                    }));
                }
            }
            waitAll(probes);
        }
        List<ClusterView.InstanceView> views = new ArrayList<>();
        for (Instance instance : topology.instances()) {
            String status;
            String detail = "";
            if (unreachable.containsKey(instance.host())) {
                status = "Disconnected";
                detail = unreachable.get(instance.host());
            } else {
                InstanceStatus state =
                        byHost.getOrDefault(instance.host(), Map.of()).get(instance.id());
                if (state == null) {
                    status = "Missing";
                    detail = "the agent on %s does not know this instance; deploy again".formatted(instance.host());
                } else {
                    String[] shown = switch (state.state()) {
                        case STOPPED -> new String[] {"Down", ""};
                        case BACKOFF -> new String[] {"Restarting", state.lastExit()};
                        case FAILED -> new String[] {"Failed", state.lastExit()};
                        case RUNNING -> {
                            ProbeResult ready = readiness.get(instance.id());
                            yield new String[] {
                                ready != null && ready.ready() ? "Up" : "Unready", ready == null ? "" : ready.detail()
                            };
                        }
                    };
                    status = shown[0];
                    detail = shown[1];
                }
            }
            views.add(new ClusterView.InstanceView(
                    instance.id(),
                    catalog.tier(instance),
                    instance.host(),
                    instance.mainPort(),
                    List.copyOf(instance.ports().values()),
                    status,
                    instance.deployDir(),
                    instance.dataDir(),
                    status.equals("Up") ? "" : detail));
        }
        return new ClusterView(name, views, catalog.endpoints(topology));
    }

    private static void waitAll(List<Future<?>> futures) {
        for (Future<?> future : futures) {
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OperationException(ErrorCode.INTERRUPTED, "interrupted while asking the agents", e);
            } catch (ExecutionException e) {
                throw new OperationException(
                        ErrorCode.DISPLAY,
                        "cannot read the cluster's status: " + e.getCause().getMessage(),
                        e.getCause());
            }
        }
    }
}
