package io.flotilla.k8s;

import static io.flotilla.k8s.ManifestObjects.annotation;
import static io.flotilla.k8s.ManifestObjects.layer;
import static io.flotilla.k8s.ManifestObjects.layers;
import static io.flotilla.k8s.ManifestObjects.namespaceOf;
import static io.flotilla.k8s.ManifestObjects.specReplicas;
import static io.flotilla.k8s.ManifestObjects.tierOf;
import static io.flotilla.k8s.ManifestObjects.tiers;
import static io.flotilla.k8s.ManifestObjects.workloadComponent;
import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.KubernetesPods;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.stream.Collectors;

/**
 * Applies rendered manifests to a Kubernetes cluster in start order: one start layer at a time,
 * each waited on until its StatefulSets and Deployments are ready and its Jobs succeeded before the
 * next layer is created, since plain Kubernetes does not order them. Before anything is created a
 * pre-flight collects every problem the cluster would only show later (a missing Secret, an
 * unknown storage class, pods larger than any node). Also reports, scales and deletes a cluster.
 */
public final class KubernetesApplier {
    /** The hash of the manifest an object was last applied from; equal means a re-apply has nothing to change. */
    static final String APPLIED_HASH_ANNOTATION = "flotilla.io/applied-hash";

    static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
    static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

    private final Catalog catalog;
    private final KubernetesClient client;
    private final KubernetesProgress progress;
    private final WorkloadReadiness readiness;
    private final KubernetesSerialization serialization;

    public KubernetesApplier(
            KubernetesClient client, Duration readyTimeout, Duration pollInterval, KubernetesProgress progress) {
        this(Catalog.standard(), client, readyTimeout, pollInterval, progress);
    }

    /** @param catalog says which replica counts each tier may be scaled to */
    public KubernetesApplier(
            Catalog catalog,
            KubernetesClient client,
            Duration readyTimeout,
            Duration pollInterval,
            KubernetesProgress progress) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.client = requireNonNull(client, "client is null");
        this.progress = requireNonNull(progress, "progress is null");
        this.readiness = new WorkloadReadiness(client, readyTimeout, pollInterval, progress);
        this.serialization = client.getKubernetesSerialization();
    }

    /** How many objects an apply created, updated and left as they were. */
    public record ApplySummary(int created, int updated, int unchanged) {
        public ApplySummary plus(ApplySummary other) {
            return new ApplySummary(created + other.created, updated + other.updated, unchanged + other.unchanged);
        }
    }

    /** What a delete removed, and what it kept (volume claims and the passwords' Secret). */
    public record DeleteSummary(List<String> deleted, List<String> kept) {
        public DeleteSummary {
            deleted = List.copyOf(deleted);
            kept = List.copyOf(kept);
        }
    }

    private enum Change {
        CREATED,
        UPDATED,
        UNCHANGED
    }

    /**
     * Checks the cluster, creates the namespace if it is missing, then applies and waits for one
     * start layer after the other. Idempotent: objects already applied from the same manifest are
     * left untouched, and a Secret or Job that exists is never replaced.
     *
     * @throws KubernetesApplyException {@link KubernetesApplyException#REFUSED} with nothing applied;
     *     {@link KubernetesApplyException#NOT_READY} when a layer is not ready in time
     */
    public ApplySummary apply(Manifests manifests) {
        String namespace = prepare(manifests);
        ApplySummary total = new ApplySummary(0, 0, 0);
        for (Map.Entry<Integer, List<HasMetadata>> layer : layers(manifests).entrySet()) {
            total = total.plus(applyLayer(namespace, layer.getKey(), layer.getValue()));
        }
        return total;
    }

    /**
     * The first part of {@link #apply}: checks the cluster and the manifests, and creates the
     * namespace if it is missing; returns the namespace.
     *
     * @throws KubernetesApplyException {@link KubernetesApplyException#REFUSED} with nothing applied
     */
    public String prepare(Manifests manifests) {
        requireNonNull(manifests, "manifests is null");
        List<String> problems = new ArrayList<>();
        String namespace = namespaceOf(manifests.objects(), problems);
        if (problems.isEmpty()) {
            new KubernetesPreflight(client, progress).check(manifests.objects(), namespace, problems);
        }
        if (!problems.isEmpty()) {
            throw KubernetesApplyException.refused(problems);
        }
        if (client.namespaces().withName(namespace).get() == null) {
            client.resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(namespace)
                            .endMetadata()
                            .build())
                    .create();
            progress.report("namespace %s created".formatted(namespace));
        }
        return namespace;
    }

    /** The manifests' objects by start layer, in start order. */
    public SortedMap<Integer, List<HasMetadata>> layers(Manifests manifests) {
        return ManifestObjects.layers(manifests.objects());
    }

    /** The tiers of a layer's objects, for what a step is called. */
    public static List<String> tiersOf(List<HasMetadata> layer) {
        return tiers(layer);
    }

    /**
     * Applies one start layer and waits until its StatefulSets and Deployments are ready and its
     * Jobs succeeded.
     *
     * @throws KubernetesApplyException {@link KubernetesApplyException#NOT_READY} when the layer is not ready in time
     */
    public ApplySummary applyLayer(String namespace, int layer, List<HasMetadata> objects) {
        Map<Change, Integer> changes = new LinkedHashMap<>();
        for (HasMetadata object : objects) {
            changes.merge(applyObject(object), 1, Integer::sum);
        }
        ApplySummary summary = new ApplySummary(
                changes.getOrDefault(Change.CREATED, 0),
                changes.getOrDefault(Change.UPDATED, 0),
                changes.getOrDefault(Change.UNCHANGED, 0));
        progress.report("layer %d (%s): %d objects applied: %d created, %d updated, %d unchanged"
                .formatted(
                        layer,
                        String.join(", ", tiers(objects)),
                        objects.size(),
                        summary.created(),
                        summary.updated(),
                        summary.unchanged()));
        readiness.await(
                namespace, objects.stream().filter(ManifestObjects::isWorkload).toList());
        return summary;
    }

    /** The StatefulSets, Deployments and Jobs of a cluster in start order, with their pods. */
    public ClusterStatus status(String cluster, String namespace) {
        requireNonNull(cluster, "cluster is null");
        requireNonNull(namespace, "namespace is null");
        List<HasMetadata> workloads =
                owned(cluster, namespace, List.of(StatefulSet.class, Deployment.class, Job.class));
        return new ClusterStatus(
                cluster,
                namespace,
                workloads.stream()
                        .sorted(Comparator.comparingInt(ManifestObjects::layer)
                                .thenComparing(object -> object.getMetadata().getName()))
                        .map(object -> readiness.workload(namespace, object))
                        .toList());
    }

    /**
     * Sets the replica count of one tier and waits until it is ready. Refuses what would lose data or
     * fight another owner: PD and TiKV below three pods, TiKV shrinking by more than one pod at a time,
     * any change to PD's members (fixed by {@code --initial-cluster}), a second MariaDB primary, and an
     * autoscaled tier, whose HorizontalPodAutoscaler owns the count.
     */
    public void scale(Manifests manifests, String tier, int replicas) {
        ScaleTarget target = target(manifests, tier, replicas);
        HasMetadata workload = target.workload();
        String name = workload.getMetadata().getName();
        String namespace = workload.getMetadata().getNamespace();
        String kind = target.live().getKind();
        int current = target.current();
        if (current == replicas) {
            progress.report("%s: %s %s already has %d replicas".formatted(tier, kind, name, replicas));
            readiness.await(namespace, List.of(workload));
            return;
        }
        if (target.live() instanceof StatefulSet) {
            client.apps().statefulSets().inNamespace(namespace).withName(name).edit(set -> {
                set.getSpec().setReplicas(replicas);
                return set;
            });
        } else {
            client.apps().deployments().inNamespace(namespace).withName(name).edit(deployment -> {
                deployment.getSpec().setReplicas(replicas);
                return deployment;
            });
        }
        progress.report("%s: %s %s scaled from %d to %d replicas".formatted(tier, kind, name, current, replicas));
        target.pods().afterScale(tier, name, current, replicas).ifPresent(progress::report);
        readiness.await(namespace, List.of(workload));
    }

    /**
     * Refuses, changing nothing, what {@link #scale} would refuse: an unknown or autoscaled tier, a
     * workload that is not applied, and a replica count its component says is not safe.
     *
     * @throws KubernetesApplyException {@link KubernetesApplyException#SCALE_REFUSED}
     */
    public void checkScale(Manifests manifests, String tier, int replicas) {
        target(manifests, tier, replicas);
    }

    /** The workload a scale changes, as applied and as it runs, with its component's rules. */
    private record ScaleTarget(HasMetadata workload, HasMetadata live, int current, KubernetesPods pods) {}

    private ScaleTarget target(Manifests manifests, String tier, int replicas) {
        requireNonNull(manifests, "manifests is null");
        requireNonNull(tier, "tier is null");
        List<HasMetadata> scalable = manifests.objects().stream()
                .filter(object -> object instanceof StatefulSet || object instanceof Deployment)
                .toList();
        HasMetadata workload = scalable.stream()
                .filter(object -> tier.equals(tierOf(object)))
                .findFirst()
                .orElseThrow(() -> new KubernetesApplyException(
                        KubernetesApplyException.SCALE_REFUSED,
                        "there is no tier %s to scale; the topology's tiers are %s"
                                .formatted(
                                        tier,
                                        scalable.stream()
                                                .map(ManifestObjects::tierOf)
                                                .collect(Collectors.joining(", ")))));
        String name = workload.getMetadata().getName();
        String namespace = workload.getMetadata().getNamespace();
        Optional<HorizontalPodAutoscaler> autoscaler = manifests.objects().stream()
                .filter(HorizontalPodAutoscaler.class::isInstance)
                .map(HorizontalPodAutoscaler.class::cast)
                .filter(hpa -> name.equals(hpa.getSpec().getScaleTargetRef().getName()))
                .findFirst();
        if (autoscaler.isPresent()) {
            throw new KubernetesApplyException(
                    KubernetesApplyException.SCALE_REFUSED,
                    ("%s is autoscaled: its HorizontalPodAutoscaler %s owns the replica count (%d to %d pods);"
                                    + " change autoscale.%s in the topology and apply it again")
                            .formatted(
                                    tier,
                                    autoscaler.get().getMetadata().getName(),
                                    Objects.requireNonNullElse(
                                            autoscaler.get().getSpec().getMinReplicas(), 1),
                                    autoscaler.get().getSpec().getMaxReplicas(),
                                    workloadComponent(workload)));
        }
        KubernetesPods pods = catalog.kind(workloadComponent(workload))
                .kubernetes()
                .orElseThrow(() -> new IllegalArgumentException(
                        "%s does not run on Kubernetes".formatted(workloadComponent(workload))));
        refuseIf(pods.scaleRefusal(tier, replicas));
        HasMetadata live = client.resource(workload).get();
        if (live == null) {
            throw new KubernetesApplyException(
                    KubernetesApplyException.SCALE_REFUSED,
                    "%s %s does not exist in namespace %s; apply the cluster first"
                            .formatted(workload.getKind(), name, namespace));
        }
        int current = specReplicas(live);
        if (current != replicas) {
            refuseIf(pods.scaleRefusal(tier, current, replicas));
        }
        return new ScaleTarget(workload, live, current, pods);
    }

    /**
     * Deletes a cluster's objects in reverse start order. Its volume claims, and the Secret that holds
     * the passwords their data was created with, are kept unless {@code deleteVolumes}.
     */
    public DeleteSummary delete(String cluster, String namespace, boolean deleteVolumes) {
        requireNonNull(cluster, "cluster is null");
        requireNonNull(namespace, "namespace is null");
        List<HasMetadata> objects = owned(
                cluster,
                namespace,
                List.of(
                        Job.class,
                        HorizontalPodAutoscaler.class,
                        Deployment.class,
                        StatefulSet.class,
                        PodDisruptionBudget.class,
                        Service.class,
                        ConfigMap.class,
                        Secret.class));
        List<String> deleted = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (List<HasMetadata> layer :
                ManifestObjects.layers(objects).descendingMap().values()) {
            for (HasMetadata object : layer) {
                String what =
                        "%s %s".formatted(object.getKind(), object.getMetadata().getName());
                if (object instanceof Secret && !deleteVolumes) {
                    kept.add(what);
                    continue;
                }
                client.resource(object)
                        .withPropagationPolicy(DeletionPropagation.BACKGROUND)
                        .delete();
                deleted.add(what);
                progress.report("deleted " + what);
            }
        }
        List<PersistentVolumeClaim> claims = client.persistentVolumeClaims()
                .inNamespace(namespace)
                .withLabel(INSTANCE_LABEL, cluster)
                .list()
                .getItems();
        for (PersistentVolumeClaim claim : claims) {
            String what = "PersistentVolumeClaim " + claim.getMetadata().getName();
            if (deleteVolumes) {
                client.resource(claim).delete();
                deleted.add(what);
                progress.report("deleted " + what);
            } else {
                kept.add(what);
            }
        }
        if (!kept.isEmpty()) {
            progress.report(
                    ("kept %s: the data and the passwords it was created with; delete them with" + " --delete-volumes")
                            .formatted(String.join(", ", kept)));
        }
        return new DeleteSummary(deleted, kept);
    }

    private Change applyObject(HasMetadata desired) {
        String hash = hash(desired);
        HasMetadata object = serialization.clone(desired);
        Map<String, String> annotations = new LinkedHashMap<>(
                Optional.ofNullable(object.getMetadata().getAnnotations()).orElse(Map.of()));
        annotations.put(APPLIED_HASH_ANNOTATION, hash);
        object.getMetadata().setAnnotations(annotations);
        try {
            HasMetadata live = client.resource(object).get();
            if (live == null) {
                client.resource(object).create();
                return Change.CREATED;
            }
            // A Secret's passwords are in the data already on the volumes; a Job's pod template is immutable and
            // it has done its work.
            if (object instanceof Secret || object instanceof Job) {
                return Change.UNCHANGED;
            }
            if (hash.equals(annotation(live, APPLIED_HASH_ANNOTATION))) {
                return Change.UNCHANGED;
            }
            if (object instanceof Deployment deployment
                    && deployment.getSpec().getReplicas() == null
                    && live instanceof Deployment running) {
                // Autoscaled: keep the count the HorizontalPodAutoscaler chose.
                deployment.getSpec().setReplicas(running.getSpec().getReplicas());
            }
            // A real API server ignores the status of an update; carrying the live one over keeps the mock API
            // server of the tests, which would store it, from forgetting it.
            if (object instanceof StatefulSet set && live instanceof StatefulSet running) {
                set.setStatus(running.getStatus());
            } else if (object instanceof Deployment deployment && live instanceof Deployment running) {
                deployment.setStatus(running.getStatus());
            }
            object.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
            client.resource(object).update();
            return Change.UPDATED;
        } catch (KubernetesClientException e) {
            throw new KubernetesApplyException(
                    KubernetesApplyException.FAILED,
                    ("%s %s in namespace %s could not be applied: %s; the earlier layers stay applied, fix the cause"
                                    + " and apply again")
                            .formatted(
                                    desired.getKind(),
                                    desired.getMetadata().getName(),
                                    desired.getMetadata().getNamespace(),
                                    reason(e)),
                    e);
        }
    }

    private String hash(HasMetadata object) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(serialization.asJson(object).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The objects flotilla made for the cluster in the namespace, of each of {@code kinds}, kind after kind. */
    private List<HasMetadata> owned(String cluster, String namespace, List<Class<? extends HasMetadata>> kinds) {
        Map<String, String> labels = Map.of(INSTANCE_LABEL, cluster, MANAGED_BY_LABEL, "flotilla");
        List<HasMetadata> objects = new ArrayList<>();
        for (Class<? extends HasMetadata> kind : kinds) {
            objects.addAll(client.resources(kind)
                    .inNamespace(namespace)
                    .withLabels(labels)
                    .list()
                    .getItems());
        }
        return objects;
    }

    private static void refuseIf(Optional<String> refusal) {
        if (refusal.isPresent()) {
            throw new KubernetesApplyException(KubernetesApplyException.SCALE_REFUSED, refusal.get());
        }
    }

    /** What the API server said, or the client when the server said nothing. */
    static String reason(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage()
                : e.getMessage();
    }
}
