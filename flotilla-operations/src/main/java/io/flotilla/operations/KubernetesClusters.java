package io.flotilla.operations;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.flotilla.engine.ClusterLock;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.Engine;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.Operation;
import io.flotilla.k8s.KubernetesApplier;
import io.flotilla.k8s.Manifests;
import io.flotilla.step.OperationName;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The operations on clusters on Kubernetes (apply, scale, delete), run as every operation on hosts
 * runs: under the cluster's lock, journaled and audited. A cluster is its namespace and name; its
 * lock and journal are in {@code $FLOTILLA_HOME/kubernetes/NAMESPACE/NAME}. An apply is one step
 * per start layer, so that a run cut short goes on, when the same manifests are applied again,
 * from the first layer that was not ready. A scale or a delete is one step that a new run does
 * again (both are idempotent): its plan is never resumed.
 */
public final class KubernetesClusters {
    private final FlotillaHome home;
    private final Engine engine;
    private final Operation.ResumeListener resumeListener;

    public KubernetesClusters(FlotillaHome home, Engine engine, Operation.ResumeListener resumeListener) {
        this.home = requireNonNull(home, "home is null");
        this.engine = requireNonNull(engine, "engine is null");
        this.resumeListener = requireNonNull(resumeListener, "resumeListener is null");
    }

    /** What this run applied; layers an earlier run of the same manifests made ready are not counted again. */
    public KubernetesApplier.ApplySummary apply(
            KubernetesApplier applier, Manifests manifests, String name, String namespace, String command) {
        ClusterStore store = home.kubernetes(namespace, name);
        String where = "kubernetes/" + namespace;
        // The same manifests are the same plan: a run cut short resumes only an apply of what it applied.
        String version = manifests.version();
        AtomicReference<KubernetesApplier.ApplySummary> total =
                new AtomicReference<>(new KubernetesApplier.ApplySummary(0, 0, 0));
        List<Step> steps = new ArrayList<>();
        for (Map.Entry<Integer, List<HasMetadata>> layer :
                applier.layers(manifests).entrySet()) {
            steps.add(Step.action(
                    "k8s-apply/%s/layer-%d".formatted(version, layer.getKey()),
                    "apply layer %d (%s) and wait until it is ready"
                            .formatted(layer.getKey(), String.join(", ", KubernetesApplier.tiersOf(layer.getValue()))),
                    where,
                    () -> {
                        KubernetesApplier.ApplySummary applied =
                                applier.applyLayer(namespace, layer.getKey(), layer.getValue());
                        total.accumulateAndGet(applied, KubernetesApplier.ApplySummary::plus);
                    }));
        }
        // A refusal changes nothing and is not an operation: it is said before the plan runs.
        run(store, new Plan(OperationName.K8S_APPLY, store.name(), steps), command, () -> applier.prepare(manifests));
        return total.get();
    }

    public void scale(
            KubernetesApplier applier,
            Manifests manifests,
            String name,
            String namespace,
            String tier,
            int replicas,
            String command) {
        ClusterStore store = home.kubernetes(namespace, name);
        Step step = Step.action(
                "k8s-scale/%s/%d/%s".formatted(tier, replicas, Operation.newId()),
                "scale %s to %d pods and wait until they are ready".formatted(tier, replicas),
                "kubernetes/" + namespace,
                () -> applier.scale(manifests, tier, replicas));
        run(
                store,
                new Plan(OperationName.K8S_SCALE, store.name(), List.of(step)),
                command,
                () -> applier.checkScale(manifests, tier, replicas));
    }

    public KubernetesApplier.DeleteSummary delete(
            KubernetesApplier applier, String name, String namespace, boolean deleteVolumes, String command) {
        ClusterStore store = home.kubernetes(namespace, name);
        AtomicReference<KubernetesApplier.DeleteSummary> summary = new AtomicReference<>();
        Step step = Step.action(
                "k8s-delete/%s/%s".formatted(deleteVolumes ? "with-volumes" : "keep-volumes", Operation.newId()),
                "delete the objects of %s in reverse start order%s"
                        .formatted(name, deleteVolumes ? ", its volume claims and its Secret too" : ""),
                "kubernetes/" + namespace,
                () -> summary.set(applier.delete(name, namespace, deleteVolumes)));
        run(store, new Plan(OperationName.K8S_DELETE, store.name(), List.of(step)), command, () -> {});
        return summary.get();
    }

    /** Runs {@code plan} under the cluster's lock once {@code check} found nothing to refuse. */
    private void run(ClusterStore store, Plan plan, String command, Runnable check) {
        try (ClusterLock ignored = ClusterLock.acquire(store.lockFile(), store.name(), command)) {
            check.run();
            Operation.run(home, store, plan, command, engine, resumeListener);
        }
    }
}
