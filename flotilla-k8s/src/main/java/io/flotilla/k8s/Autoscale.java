package io.flotilla.k8s;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One entry of the topology's {@code autoscale} section: a stateless tier that a
 * HorizontalPodAutoscaler keeps between {@code minReplicas} and {@code maxReplicas} pods, aiming
 * at {@code targetCpuUtilization} percent of each pod's CPU request.
 */
record Autoscale(
        String component,
        int minReplicas,
        int maxReplicas,
        int targetCpuUtilization,
        String cpuRequest,
        Optional<String> memoryRequest) {
    static final List<String> KEYS =
            List.of("min_replicas", "max_replicas", "target_cpu_utilization", "cpu_request", "memory_request");

    Autoscale {
        requireNonNull(component, "component is null");
        requireNonNull(cpuRequest, "cpuRequest is null");
        requireNonNull(memoryRequest, "memoryRequest is null");
    }

    /** Reads every entry; each problem is added to {@code problems} and names the key it is about. */
    static Map<String, Autoscale> read(Map<String, Object> section, List<String> problems) {
        Map<String, Autoscale> read = new LinkedHashMap<>();
        // The topology keeps the section as an unordered map; sorted, the problems come in a stable order.
        new TreeMap<>(section).forEach((component, value) -> {
            String where = "autoscale." + component;
            if (!(value instanceof Map<?, ?> entry)) {
                problems.add("%s must be a mapping with %s".formatted(where, String.join(", ", KEYS)));
                return;
            }
            int before = problems.size();
            entry.keySet().stream()
                    .map(String::valueOf)
                    .filter(key -> !KEYS.contains(key))
                    .forEach(key -> problems.add(
                            "unknown key '%s' in %s; use %s".formatted(key, where, String.join(", ", KEYS))));
            int min = integer(entry, "min_replicas", where, problems).orElse(1);
            Optional<Integer> max = integer(entry, "max_replicas", where, problems);
            int target =
                    integer(entry, "target_cpu_utilization", where, problems).orElse(80);
            Optional<String> cpu = quantity(entry, "cpu_request", where, problems);
            Optional<String> memory = quantity(entry, "memory_request", where, problems);
            if (max.isEmpty() && !entry.containsKey("max_replicas")) {
                problems.add("%s has no max_replicas; say how many pods it may grow to".formatted(where));
            }
            if (min < 1) {
                problems.add("%s.min_replicas is %d; use at least 1".formatted(where, min));
            }
            max.filter(maximum -> maximum < min)
                    .ifPresent(maximum -> problems.add(
                            "%s.min_replicas %d is greater than max_replicas %d".formatted(where, min, maximum)));
            if (target < 1 || target > 100) {
                problems.add("%s.target_cpu_utilization %d is outside 1-100; it is a percentage of the CPU request"
                        .formatted(where, target));
            }
            if (cpu.isEmpty() && !entry.containsKey("cpu_request")) {
                problems.add(("%s has no cpu_request; a HorizontalPodAutoscaler measures CPU utilization against"
                                + " the pods' CPU request, so set one, such as cpu_request: \"2\"")
                        .formatted(where));
            }
            if (problems.size() == before) {
                read.put(
                        component, new Autoscale(component, min, max.orElseThrow(), target, cpu.orElseThrow(), memory));
            }
        });
        return read;
    }

    private static Optional<Integer> integer(Map<?, ?> entry, String key, String where, List<String> problems) {
        Object value = entry.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Number number && number.longValue() == number.doubleValue()) {
            return Optional.of((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, number.longValue())));
        }
        problems.add("%s.%s '%s' is not a whole number".formatted(where, key, value));
        return Optional.empty();
    }

    private static Optional<String> quantity(Map<?, ?> entry, String key, String where, List<String> problems) {
        Object value = entry.get(key);
        if (value == null) {
            return Optional.empty();
        }
        String text = String.valueOf(value);
        if (!Quantities.isQuantity(text)) {
            problems.add("%s.%s '%s' is not a Kubernetes quantity; use a number with an optional unit, such as 2,"
                            .formatted(where, key, text)
                    + " 500m or 4Gi");
            return Optional.empty();
        }
        return Optional.of(text);
    }
}
