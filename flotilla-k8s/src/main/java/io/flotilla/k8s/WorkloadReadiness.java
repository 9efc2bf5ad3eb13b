package io.flotilla.k8s;

import static io.flotilla.k8s.ManifestObjects.layer;
import static io.flotilla.k8s.ManifestObjects.podTemplate;
import static io.flotilla.k8s.ManifestObjects.specReplicas;
import static io.flotilla.k8s.ManifestObjects.tierOf;
import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.flotilla.wait.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Waits for workloads to be ready (StatefulSets and Deployments rolled out, Jobs succeeded) and
 * says, when one is not in time, which pods wait and the events that say why.
 */
final class WorkloadReadiness {
    private static final int EVENTS_PER_POD = 5;

    private final KubernetesClient client;
    private final Duration readyTimeout;
    private final Duration pollInterval;
    private final KubernetesProgress progress;

    WorkloadReadiness(
            KubernetesClient client, Duration readyTimeout, Duration pollInterval, KubernetesProgress progress) {
        this.client = requireNonNull(client, "client is null");
        this.readyTimeout = requireNonNull(readyTimeout, "readyTimeout is null");
        this.pollInterval = requireNonNull(pollInterval, "pollInterval is null");
        this.progress = requireNonNull(progress, "progress is null");
    }

    /** Polls the layer's workloads until all are ready, reporting each change of a ready count. */
    void await(String namespace, List<HasMetadata> workloads) {
        if (workloads.isEmpty()) {
            return;
        }
        Map<String, String> reported = new HashMap<>();
        AtomicReference<List<ClusterStatus.Workload>> waiting = new AtomicReference<>(List.of());
        boolean ready;
        try {
            ready = Wait.until(readyTimeout, pollInterval, () -> {
                List<ClusterStatus.Workload> states = new ArrayList<>();
                for (HasMetadata workload : workloads) {
                    HasMetadata live = client.resource(workload).get();
                    ClusterStatus.Workload state = live == null
                            ? new ClusterStatus.Workload(
                                    layer(workload),
                                    tierOf(workload),
                                    workload.getKind(),
                                    workload.getMetadata().getName(),
                                    0,
                                    1,
                                    List.of())
                            : workload(namespace, live);
                    states.add(state);
                    String line = "%s: %s %s %d/%d %s"
                            .formatted(
                                    state.tier(),
                                    state.kind(),
                                    state.name(),
                                    state.ready(),
                                    state.desired(),
                                    state.kind().equals("Job") ? "succeeded" : "ready");
                    if (!line.equals(reported.put(state.name(), line))) {
                        progress.report(line);
                    }
                    if (live instanceof Job job && failed(job)) {
                        throw notReady(namespace, List.of(state), "failed");
                    }
                }
                waiting.set(states.stream().filter(state -> !state.allReady()).toList());
                return waiting.get().isEmpty();
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KubernetesApplyException(
                    KubernetesApplyException.NOT_READY,
                    "interrupted while waiting for %s"
                            .formatted(
                                    waiting.get().isEmpty()
                                            ? namespace
                                            : waiting.get().getFirst().name()),
                    e);
        }
        if (!ready) {
            throw notReady(namespace, waiting.get(), "did not become ready in " + format(readyTimeout));
        }
    }

    private static boolean failed(Job job) {
        return job.getStatus() != null
                && job.getStatus().getConditions().stream()
                        .anyMatch(condition ->
                                "Failed".equals(condition.getType()) && "True".equals(condition.getStatus()));
    }

    private KubernetesApplyException notReady(String namespace, List<ClusterStatus.Workload> waiting, String what) {
        StringBuilder message = new StringBuilder();
        String firstPod = null;
        for (ClusterStatus.Workload workload : waiting) {
            if (!message.isEmpty()) {
                message.append('\n');
            }
            message.append("%s %s (tier %s) in namespace %s %s: %d of %d %s"
                    .formatted(
                            workload.kind(),
                            workload.name(),
                            workload.tier(),
                            namespace,
                            what,
                            workload.ready(),
                            workload.desired(),
                            workload.kind().equals("Job") ? "pods succeeded" : "pods ready"));
            List<ClusterStatus.Pod> pods =
                    workload.pods().stream().filter(pod -> !pod.ready()).toList();
            if (pods.isEmpty()) {
                message.append("\n  no pod is waiting; events of %s %s:".formatted(workload.kind(), workload.name()));
                appendEvents(message, namespace, workload.kind(), workload.name());
            }
            for (ClusterStatus.Pod pod : pods) {
                if (firstPod == null) {
                    firstPod = pod.name();
                }
                message.append("\n  pod %s (%s, not ready, %d restart%s):"
                        .formatted(pod.name(), pod.phase(), pod.restarts(), pod.restarts() == 1 ? "" : "s"));
                appendEvents(message, namespace, "Pod", pod.name());
            }
        }
        message.append("\nThe later layers were not applied; what was applied stays. ");
        message.append(
                firstPod == null
                        ? "Look at kubectl -n %s get events, fix the cause and apply again.".formatted(namespace)
                        : "Look at kubectl -n %s describe pod %s, fix the cause and apply again."
                                .formatted(namespace, firstPod));
        return new KubernetesApplyException(KubernetesApplyException.NOT_READY, message.toString());
    }

    private void appendEvents(StringBuilder message, String namespace, String kind, String name) {
        List<Event> events = client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(event -> event.getInvolvedObject() != null
                        && kind.equals(event.getInvolvedObject().getKind())
                        && name.equals(event.getInvolvedObject().getName()))
                .sorted(Comparator.comparing(WorkloadReadiness::eventTime))
                .toList();
        if (events.isEmpty()) {
            message.append("\n    no events");
            return;
        }
        for (Event event : events.subList(Math.max(0, events.size() - EVENTS_PER_POD), events.size())) {
            message.append("\n    %s: %s".formatted(event.getReason(), event.getMessage()));
        }
    }

    /** RFC 3339 times in UTC, as the API server writes them, sort as text. */
    private static String eventTime(Event event) {
        if (event.getLastTimestamp() != null) {
            return event.getLastTimestamp();
        }
        if (event.getEventTime() != null && event.getEventTime().getTime() != null) {
            return event.getEventTime().getTime();
        }
        return Objects.requireNonNullElse(event.getMetadata().getCreationTimestamp(), "");
    }

    ClusterStatus.Workload workload(String namespace, HasMetadata live) {
        int ready;
        int desired;
        switch (live) {
            case StatefulSet set -> {
                desired = specReplicas(set);
                var status = set.getStatus();
                ready = status == null
                        ? 0
                        : rolledOut(
                                set,
                                status.getObservedGeneration(),
                                status.getReadyReplicas(),
                                status.getUpdatedReplicas());
            }
            case Deployment deployment -> {
                desired = specReplicas(deployment);
                var status = deployment.getStatus();
                ready = status == null
                        ? 0
                        : rolledOut(
                                deployment,
                                status.getObservedGeneration(),
                                status.getReadyReplicas(),
                                status.getUpdatedReplicas());
            }
            case Job job -> {
                desired = Objects.requireNonNullElse(job.getSpec().getCompletions(), 1);
                ready = job.getStatus() == null
                        ? 0
                        : Objects.requireNonNullElse(job.getStatus().getSucceeded(), 0);
            }
            default -> throw new IllegalArgumentException("not a workload: " + live.getKind());
        }
        PodTemplateSpec template = podTemplate(live);
        List<ClusterStatus.Pod> pods = template == null
                        || template.getMetadata() == null
                        || template.getMetadata().getLabels() == null
                ? List.of()
                : client
                        .pods()
                        .inNamespace(namespace)
                        .withLabels(template.getMetadata().getLabels())
                        .list()
                        .getItems()
                        .stream()
                        .sorted(Comparator.comparing(pod -> pod.getMetadata().getName()))
                        .map(WorkloadReadiness::pod)
                        .toList();
        return new ClusterStatus.Workload(
                layer(live), tierOf(live), live.getKind(), live.getMetadata().getName(), ready, desired, pods);
    }

    /**
     * Ready pods that run the current spec. Until the controller has seen the latest generation, the
     * status still describes the previous spec, and a ready count from it would let the next layer
     * start before an update has rolled out.
     */
    private static int rolledOut(HasMetadata workload, Long observedGeneration, Integer ready, Integer updated) {
        Long generation = workload.getMetadata().getGeneration();
        if (generation != null && (observedGeneration == null || observedGeneration < generation)) {
            return 0;
        }
        return Math.min(Objects.requireNonNullElse(ready, 0), Objects.requireNonNullElse(updated, 0));
    }

    private static ClusterStatus.Pod pod(Pod pod) {
        boolean ready = false;
        int restarts = 0;
        String phase = "Pending";
        if (pod.getStatus() != null) {
            phase = Objects.requireNonNullElse(pod.getStatus().getPhase(), "Pending");
            ready = pod.getStatus().getConditions().stream()
                    .anyMatch(condition -> "Ready".equals(condition.getType()) && "True".equals(condition.getStatus()));
            restarts = pod.getStatus().getContainerStatuses().stream()
                    .mapToInt(status -> Objects.requireNonNullElse(status.getRestartCount(), 0))
                    .sum();
        }
        return new ClusterStatus.Pod(pod.getMetadata().getName(), phase, ready, restarts);
    }

    private static String format(Duration duration) {
        return duration.toMillis() % 1000 == 0
                ? "%d s".formatted(duration.toSeconds())
                : "%d ms".formatted(duration.toMillis());
    }
}
