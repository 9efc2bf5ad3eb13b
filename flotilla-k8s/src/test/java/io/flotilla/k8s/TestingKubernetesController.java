package io.flotilla.k8s;

import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Plays the controllers and kubelets that fabric8's mock API server (CRUD mode) does not run: for
 * the tiers it is told to, it reports every StatefulSet and Deployment ready and every Job
 * succeeded, by writing their status as of their current generation. Until a tier is allowed, its workloads stay unready, as pods
 * that never start would leave them.
 */
public final class TestingKubernetesController implements AutoCloseable {
    private final KubernetesClient client;
    private final String namespace;
    private final Set<String> readyTiers = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;

    public TestingKubernetesController(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
        this.thread = Thread.ofVirtual().name("testing-kubernetes-controller").start(this::loop);
    }

    public void makeReady(String... tiers) {
        readyTiers.addAll(Set.of(tiers));
    }

    private void loop() {
        while (running) {
            try {
                reconcile();
            } catch (Throwable ignored) {
                // The server may be going away at the end of a test; the next round tries again.
            }
            LockSupport.parkNanos(10_000_000);
        }
    }

    private void reconcile() {
        for (var set :
                client.apps().statefulSets().inNamespace(namespace).list().getItems()) {
            int replicas = set.getSpec().getReplicas();
            boolean current = set.getStatus() != null
                    && Integer.valueOf(replicas).equals(set.getStatus().getReadyReplicas())
                    && set.getMetadata().getGeneration().equals(set.getStatus().getObservedGeneration());
            if (allowed(set.getMetadata().getLabels().get(Names.TIER_LABEL)) && !current) {
                client.apps()
                        .statefulSets()
                        .inNamespace(namespace)
                        .withName(set.getMetadata().getName())
                        .editStatus(live -> {
                            live.setStatus(new StatefulSetStatusBuilder()
                                    .withReplicas(replicas)
                                    .withReadyReplicas(replicas)
                                    .withUpdatedReplicas(replicas)
                                    .withObservedGeneration(live.getMetadata().getGeneration())
                                    .build());
                            return live;
                        });
            }
        }
        for (var deployment :
                client.apps().deployments().inNamespace(namespace).list().getItems()) {
            // An autoscaled Deployment has no count of its own; the autoscaler's minimum here is 2.
            int replicas = deployment.getSpec().getReplicas() == null
                    ? 2
                    : deployment.getSpec().getReplicas();
            boolean current = deployment.getStatus() != null
                    && Integer.valueOf(replicas).equals(deployment.getStatus().getReadyReplicas())
                    && deployment
                            .getMetadata()
                            .getGeneration()
                            .equals(deployment.getStatus().getObservedGeneration());
            if (allowed(deployment.getMetadata().getLabels().get(Names.TIER_LABEL)) && !current) {
                client.apps()
                        .deployments()
                        .inNamespace(namespace)
                        .withName(deployment.getMetadata().getName())
                        .editStatus(live -> {
                            live.setStatus(new DeploymentStatusBuilder()
                                    .withReplicas(replicas)
                                    .withReadyReplicas(replicas)
                                    .withUpdatedReplicas(replicas)
                                    .withObservedGeneration(live.getMetadata().getGeneration())
                                    .build());
                            return live;
                        });
            }
        }
        for (var job : client.batch().v1().jobs().inNamespace(namespace).list().getItems()) {
            if (allowed(job.getMetadata().getLabels().get(Names.TIER_LABEL))
                    && (job.getStatus() == null || job.getStatus().getSucceeded() == null)) {
                client.batch()
                        .v1()
                        .jobs()
                        .inNamespace(namespace)
                        .withName(job.getMetadata().getName())
                        .editStatus(live -> {
                            live.setStatus(
                                    new JobStatusBuilder().withSucceeded(1).build());
                            return live;
                        });
            }
        }
    }

    private boolean allowed(String tier) {
        return readyTiers.contains(tier);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join();
    }
}
