package io.flotilla.k8s;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** The workloads of one cluster on Kubernetes, in start order, with their pods. */
public record ClusterStatus(String cluster, String namespace, List<Workload> workloads) {
    public ClusterStatus {
        requireNonNull(cluster, "cluster is null");
        requireNonNull(namespace, "namespace is null");
        workloads = List.copyOf(workloads);
    }

    /**
     * One StatefulSet, Deployment or Job.
     *
     * @param ready ready pods; for a Job, the pods that succeeded
     * @param desired the replicas asked for; for a Job, its completions
     */
    public record Workload(int layer, String tier, String kind, String name, int ready, int desired, List<Pod> pods) {
        public Workload {
            requireNonNull(tier, "tier is null");
            requireNonNull(kind, "kind is null");
            requireNonNull(name, "name is null");
            pods = List.copyOf(pods);
        }

        public boolean allReady() {
            return ready >= desired;
        }
    }

    public record Pod(String name, String phase, boolean ready, int restarts) {
        public Pod {
            requireNonNull(name, "name is null");
            requireNonNull(phase, "phase is null");
        }
    }
}
