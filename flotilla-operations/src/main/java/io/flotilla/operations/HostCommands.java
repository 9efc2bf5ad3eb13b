package io.flotilla.operations;

import io.flotilla.engine.ClusterStore;
import io.flotilla.exec.CommandResult;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.Topology;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A shell command run on hosts of a cluster side by side, for {@code cluster exec}. */
final class HostCommands {
    private HostCommands() {}

    /**
     * Runs a shell command on hosts of the cluster side by side (all of them when {@code hosts} is
     * empty) and returns each host's result in topology order; a host that cannot be reached gets
     * exit code 255 and the reason on stderr, and the others still answer.
     */
    static Map<String, CommandResult> run(
            ClusterStore store, Topology topology, String command, Set<String> hosts, Duration timeout) {
        String name = store.name();
        List<String> targets = topology.hosts().stream()
                .filter(host -> hosts.isEmpty() || hosts.contains(host))
                .toList();
        Set<String> unknown = new java.util.TreeSet<>(hosts);
        unknown.removeAll(topology.hosts());
        if (!unknown.isEmpty()) {
            throw new OperationException(
                    ErrorCode.BAD_SELECTION,
                    "%s not in cluster '%s'; its hosts are %s"
                            .formatted(String.join(", ", unknown), name, String.join(", ", topology.hosts())));
        }
        Map<String, CommandResult> results = new ConcurrentHashMap<>();
        try (Hosts executors = new Hosts(store.meta().ssh(), store.dir().resolve("known_hosts"));
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String host : targets) {
                threads.submit(() -> {
                    try {
                        results.put(host, executors.apply(host).run(List.of("sh", "-c", command), timeout));
                    } catch (RuntimeException e) {
                        results.put(host, new CommandResult(255, "", e.getMessage() + "\n"));
                    }
                });
            }
        }
        Map<String, CommandResult> ordered = new LinkedHashMap<>();
        targets.forEach(host -> ordered.put(host, results.get(host)));
        return ordered;
    }
}
