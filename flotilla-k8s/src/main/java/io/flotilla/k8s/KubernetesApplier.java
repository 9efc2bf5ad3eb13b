package io.flotilla.k8s;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.KubernetesPods;
import io.flotilla.wait.Wait;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
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
    private static final String DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
    private static final int EVENTS_PER_POD = 5;

    private final Catalog catalog;
    private final KubernetesClient client;
    private final Duration readyTimeout;
    private final Duration pollInterval;
    private final KubernetesProgress progress;
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
        this.readyTimeout = requireNonNull(readyTimeout, "readyTimeout is null");
        this.pollInterval = requireNonNull(pollInterval, "pollInterval is null");
        this.progress = requireNonNull(progress, "progress is null");
        this.serialization = client.getKubernetesSerialization();
    }

    /** How many objects an apply created, updated and left as they were. */
    public record ApplySummary(int created, int updated, int unchanged) {}

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
        requireNonNull(manifests, "manifests is null");
        List<String> problems = new ArrayList<>();
        String namespace = namespaceOf(manifests.objects(), problems);
        if (problems.isEmpty()) {
            preflight(manifests.objects(), namespace, problems);
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
        int created = 0;
        int updated = 0;
        int unchanged = 0;
        for (Map.Entry<Integer, List<HasMetadata>> layer :
                layers(manifests.objects()).entrySet()) {
            Map<Change, Integer> changes = new LinkedHashMap<>();
            for (HasMetadata object : layer.getValue()) {
                changes.merge(applyObject(object), 1, Integer::sum);
            }
            created += changes.getOrDefault(Change.CREATED, 0);
            updated += changes.getOrDefault(Change.UPDATED, 0);
            unchanged += changes.getOrDefault(Change.UNCHANGED, 0);
            progress.report("layer %d (%s): %d objects applied: %d created, %d updated, %d unchanged"
                    .formatted(
                            layer.getKey(),
                            String.join(", ", tiers(layer.getValue())),
                            layer.getValue().size(),
                            changes.getOrDefault(Change.CREATED, 0),
                            changes.getOrDefault(Change.UPDATED, 0),
                            changes.getOrDefault(Change.UNCHANGED, 0)));
            awaitReady(
                    namespace,
                    layer.getValue().stream()
                            .filter(KubernetesApplier::isWorkload)
                            .toList());
        }
        return new ApplySummary(created, updated, unchanged);
    }

    /** The StatefulSets, Deployments and Jobs of a cluster in start order, with their pods. */
    public ClusterStatus status(String cluster, String namespace) {
        requireNonNull(cluster, "cluster is null");
        requireNonNull(namespace, "namespace is null");
        Map<String, String> labels = ownedLabels(cluster);
        List<HasMetadata> workloads = new ArrayList<>();
        workloads.addAll(client.apps()
                .statefulSets()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        workloads.addAll(client.apps()
                .deployments()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        workloads.addAll(client.batch()
                .v1()
                .jobs()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        return new ClusterStatus(
                cluster,
                namespace,
                workloads.stream()
                        .sorted(Comparator.comparingInt(KubernetesApplier::layer)
                                .thenComparing(object -> object.getMetadata().getName()))
                        .map(object -> workload(namespace, object))
                        .toList());
    }

    /**
     * Sets the replica count of one tier and waits until it is ready. Refuses what would lose data or
     * fight another owner: PD and TiKV below three pods, TiKV shrinking by more than one pod at a time,
     * any change to PD's members (fixed by {@code --initial-cluster}), a second MariaDB primary, and an
     * autoscaled tier, whose HorizontalPodAutoscaler owns the count.
     */
    public void scale(Manifests manifests, String tier, int replicas) {
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
                                                .map(KubernetesApplier::tierOf)
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
        if (current == replicas) {
            progress.report("%s: %s %s already has %d replicas".formatted(tier, live.getKind(), name, replicas));
            awaitReady(namespace, List.of(workload));
            return;
        }
        refuseIf(pods.scaleRefusal(tier, current, replicas));
        if (live instanceof StatefulSet) {
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
        progress.report(
                "%s: %s %s scaled from %d to %d replicas".formatted(tier, live.getKind(), name, current, replicas));
        pods.afterScale(tier, name, current, replicas).ifPresent(progress::report);
        awaitReady(namespace, List.of(workload));
    }

    /**
     * Deletes a cluster's objects in reverse start order. Its volume claims, and the Secret that holds
     * the passwords their data was created with, are kept unless {@code deleteVolumes}.
     */
    public DeleteSummary delete(String cluster, String namespace, boolean deleteVolumes) {
        requireNonNull(cluster, "cluster is null");
        requireNonNull(namespace, "namespace is null");
        Map<String, String> labels = ownedLabels(cluster);
        List<HasMetadata> objects = new ArrayList<>();
        objects.addAll(client.batch()
                .v1()
                .jobs()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        objects.addAll(client.autoscaling()
                .v2()
                .horizontalPodAutoscalers()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        objects.addAll(client.apps()
                .deployments()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        objects.addAll(client.apps()
                .statefulSets()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        objects.addAll(client.policy()
                .v1()
                .podDisruptionBudget()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        objects.addAll(client.services()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        objects.addAll(client.configMaps()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        objects.addAll(client.secrets()
                .inNamespace(namespace)
                .withLabels(labels)
                .list()
                .getItems());
        List<String> deleted = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (List<HasMetadata> layer : layers(objects).descendingMap().values()) {
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

    private void preflight(List<HasMetadata> objects, String namespace, List<String> problems) {
        for (HasMetadata object : objects) {
            if (layerAnnotation(object).isEmpty()) {
                problems.add("%s %s has no %s annotation; apply manifests rendered by flotilla k8s render"
                        .formatted(object.getKind(), object.getMetadata().getName(), Names.START_LAYER_ANNOTATION));
            }
        }
        boolean namespaceExists = client.namespaces().withName(namespace).get() != null;
        checkSecrets(objects, namespace, namespaceExists, problems);
        checkStorageClasses(objects, problems);
        checkNodes(objects, problems);
    }

    /** Every Secret the pods read and the manifests do not create must exist with the keys they read. */
    private void checkSecrets(
            List<HasMetadata> objects, String namespace, boolean namespaceExists, List<String> problems) {
        Set<String> own = objects.stream()
                .filter(Secret.class::isInstance)
                .map(secret -> secret.getMetadata().getName())
                .collect(Collectors.toSet());
        Map<String, Set<String>> keysBySecret = new TreeMap<>();
        for (HasMetadata object : objects) {
            PodTemplateSpec template = podTemplate(object);
            if (template == null) {
                continue;
            }
            List<Container> containers = new ArrayList<>(template.getSpec().getContainers());
            containers.addAll(template.getSpec().getInitContainers());
            for (Container container : containers) {
                for (EnvVar env : container.getEnv()) {
                    if (env.getValueFrom() != null
                            && env.getValueFrom().getSecretKeyRef() != null
                            && !Boolean.TRUE.equals(
                                    env.getValueFrom().getSecretKeyRef().getOptional())) {
                        keysBySecret
                                .computeIfAbsent(
                                        env.getValueFrom().getSecretKeyRef().getName(), ignored -> new TreeSet<>())
                                .add(env.getValueFrom().getSecretKeyRef().getKey());
                    }
                }
                for (EnvFromSource source : container.getEnvFrom()) {
                    if (source.getSecretRef() != null) {
                        keysBySecret.computeIfAbsent(source.getSecretRef().getName(), ignored -> new TreeSet<>());
                    }
                }
            }
            for (Volume volume : template.getSpec().getVolumes()) {
                if (volume.getSecret() != null) {
                    keysBySecret.computeIfAbsent(volume.getSecret().getSecretName(), ignored -> new TreeSet<>());
                }
            }
        }
        keysBySecret.forEach((name, keys) -> {
            if (own.contains(name)) {
                return;
            }
            Secret secret = namespaceExists
                    ? client.secrets().inNamespace(namespace).withName(name).get()
                    : null;
            if (secret == null) {
                problems.add(("Secret %s does not exist in namespace %s, and the pods read %s from it; create it"
                                + " (kubectl -n %s create secret generic %s %s) or render without"
                                + " --existing-secret to generate one")
                        .formatted(
                                name,
                                namespace,
                                keys.isEmpty()
                                        ? "their passwords"
                                        : "key%s %s".formatted(keys.size() == 1 ? "" : "s", String.join(", ", keys)),
                                namespace,
                                name,
                                keys.stream()
                                        .map(key -> "--from-literal=%s=…".formatted(key))
                                        .collect(Collectors.joining(" "))));
                return;
            }
            Set<String> present = new TreeSet<>();
            present.addAll(
                    Optional.ofNullable(secret.getData()).orElse(Map.of()).keySet());
            present.addAll(
                    Optional.ofNullable(secret.getStringData()).orElse(Map.of()).keySet());
            List<String> missing =
                    keys.stream().filter(key -> !present.contains(key)).toList();
            if (!missing.isEmpty()) {
                problems.add("Secret %s in namespace %s has no key %s, which the pods read; add %s"
                        .formatted(
                                name,
                                namespace,
                                String.join(", ", missing),
                                missing.size() == 1 ? "that key" : "those keys"));
            }
        });
    }

    private void checkStorageClasses(List<HasMetadata> objects, List<String> problems) {
        Set<String> named = new TreeSet<>();
        boolean unnamed = false;
        for (HasMetadata object : objects) {
            if (object instanceof StatefulSet set) {
                for (PersistentVolumeClaim claim : set.getSpec().getVolumeClaimTemplates()) {
                    String storageClass = claim.getSpec().getStorageClassName();
                    if (storageClass == null) {
                        unnamed = true;
                    } else {
                        named.add(storageClass);
                    }
                }
            }
        }
        if (named.isEmpty() && !unnamed) {
            return;
        }
        List<StorageClass> classes;
        try {
            classes = client.storage().v1().storageClasses().list().getItems();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 403) {
                throw e;
            }
            progress.report("storage classes not checked: this account may not list them (%s)".formatted(reason(e)));
            return;
        }
        Set<String> existing = classes.stream()
                .map(storageClass -> storageClass.getMetadata().getName())
                .collect(Collectors.toCollection(TreeSet::new));
        String known = existing.isEmpty() ? "it has none" : "it has " + String.join(", ", existing);
        for (String storageClass : named) {
            if (!existing.contains(storageClass)) {
                problems.add(("storage class %s does not exist in the cluster (%s); pass one of them with"
                                + " --storage-class, see kubectl get storageclass")
                        .formatted(storageClass, known));
            }
        }
        boolean hasDefault = classes.stream()
                .anyMatch(storageClass -> "true"
                        .equals(Optional.ofNullable(storageClass.getMetadata().getAnnotations())
                                .orElse(Map.of())
                                .get(DEFAULT_CLASS_ANNOTATION)));
        if (unnamed && !hasDefault) {
            problems.add(("the volume claims name no storage class and the cluster has no default one (%s), so"
                            + " they would stay Pending; pass --storage-class")
                    .formatted(known));
        }
    }

    /** A pod that asks for more than any schedulable node can give stays Pending for ever. */
    private void checkNodes(List<HasMetadata> objects, List<String> problems) {
        List<Node> nodes;
        try {
            nodes = client.nodes().list().getItems().stream()
                    .filter(node -> node.getSpec() == null
                            || !Boolean.TRUE.equals(node.getSpec().getUnschedulable()))
                    .filter(node -> node.getStatus() != null && node.getStatus().getAllocatable() != null)
                    .toList();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 403) {
                throw e;
            }
            progress.report("node sizes not checked: this account may not list nodes (%s)".formatted(reason(e)));
            return;
        }
        if (nodes.isEmpty()) {
            return;
        }
        for (HasMetadata object : objects) {
            PodTemplateSpec template = podTemplate(object);
            if (template == null) {
                continue;
            }
            Map<String, BigDecimal> requests = podRequests(template);
            if (requests.isEmpty()) {
                continue;
            }
            boolean fits = nodes.stream()
                    .anyMatch(node -> requests.entrySet().stream()
                            .allMatch(request ->
                                    amount(node.getStatus().getAllocatable().get(request.getKey()))
                                                    .compareTo(request.getValue())
                                            >= 0));
            if (!fits) {
                Node largest = nodes.stream()
                        .max(Comparator.comparing((Node node) ->
                                        amount(node.getStatus().getAllocatable().get("cpu")))
                                .thenComparing(node ->
                                        amount(node.getStatus().getAllocatable().get("memory"))))
                        .orElseThrow();
                problems.add(("%s %s asks for %s per pod, and no schedulable node has that much allocatable (the"
                                + " largest, %s, has %s); lower resource_control or the autoscale requests in the"
                                + " topology, or add larger nodes")
                        .formatted(
                                object.getKind(),
                                object.getMetadata().getName(),
                                describe(requests),
                                largest.getMetadata().getName(),
                                describe(Map.of(
                                        "cpu",
                                        amount(largest.getStatus()
                                                .getAllocatable()
                                                .get("cpu")),
                                        "memory",
                                        amount(largest.getStatus()
                                                .getAllocatable()
                                                .get("memory"))))));
            }
        }
    }

    /** What the scheduler reserves for a pod: each container's requests, or its limits when it has none. */
    private static Map<String, BigDecimal> podRequests(PodTemplateSpec template) {
        Map<String, BigDecimal> total = new TreeMap<>();
        for (Container container : template.getSpec().getContainers()) {
            ResourceRequirements resources = container.getResources();
            if (resources == null) {
                continue;
            }
            for (String resource : List.of("cpu", "memory")) {
                Quantity quantity = Optional.ofNullable(resources.getRequests())
                        .map(requests -> requests.get(resource))
                        .or(() -> Optional.ofNullable(resources.getLimits()).map(limits -> limits.get(resource)))
                        .orElse(null);
                if (quantity != null) {
                    total.merge(resource, amount(quantity), BigDecimal::add);
                }
            }
        }
        return total;
    }

    private static BigDecimal amount(Quantity quantity) {
        return quantity == null ? BigDecimal.ZERO : quantity.getNumericalAmount();
    }

    private static String describe(Map<String, BigDecimal> resources) {
        List<String> parts = new ArrayList<>();
        BigDecimal cpu = resources.get("cpu");
        if (cpu != null) {
            parts.add("%s CPU".formatted(cpu.stripTrailingZeros().toPlainString()));
        }
        BigDecimal memory = resources.get("memory");
        if (memory != null) {
            parts.add("%s GiB of memory"
                    .formatted(memory.divide(BigDecimal.valueOf(1L << 30), 1, RoundingMode.HALF_UP)
                            .stripTrailingZeros()
                            .toPlainString()));
        }
        return String.join(" and ", parts);
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

    /** Polls the layer's workloads until all are ready, reporting each change of a ready count. */
    private void awaitReady(String namespace, List<HasMetadata> workloads) {
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
                .sorted(Comparator.comparing(KubernetesApplier::eventTime))
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

    private ClusterStatus.Workload workload(String namespace, HasMetadata live) {
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
                        .map(KubernetesApplier::pod)
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

    /** An autoscaled Deployment has no replica count of its own; until it reports one it wants at least a pod. */
    private static int specReplicas(HasMetadata workload) {
        return switch (workload) {
            case StatefulSet set -> Objects.requireNonNullElse(set.getSpec().getReplicas(), 1);
            case Deployment deployment -> {
                if (deployment.getSpec().getReplicas() != null) {
                    yield deployment.getSpec().getReplicas();
                }
                Integer observed = deployment.getStatus() == null
                        ? null
                        : deployment.getStatus().getReplicas();
                yield Math.max(1, Objects.requireNonNullElse(observed, 0));
            }
            default -> throw new IllegalArgumentException("not scalable: " + workload.getKind());
        };
    }

    private static PodTemplateSpec podTemplate(HasMetadata object) {
        return switch (object) {
            case StatefulSet set -> set.getSpec().getTemplate();
            case Deployment deployment -> deployment.getSpec().getTemplate();
            case Job job -> job.getSpec().getTemplate();
            default -> null;
        };
    }

    private static boolean isWorkload(HasMetadata object) {
        return object instanceof StatefulSet || object instanceof Deployment || object instanceof Job;
    }

    private static String namespaceOf(List<HasMetadata> objects, List<String> problems) {
        Set<String> namespaces = objects.stream()
                .map(object -> Objects.requireNonNullElse(object.getMetadata().getNamespace(), ""))
                .collect(Collectors.toCollection(TreeSet::new));
        if (objects.isEmpty()) {
            problems.add("the manifests hold no object");
            return "";
        }
        if (namespaces.size() != 1 || namespaces.contains("")) {
            problems.add(
                    "the manifests must all name one namespace; they name %s".formatted(String.join(", ", namespaces)));
            return "";
        }
        return namespaces.iterator().next();
    }

    private static TreeMap<Integer, List<HasMetadata>> layers(List<HasMetadata> objects) {
        TreeMap<Integer, List<HasMetadata>> layers = new TreeMap<>();
        for (HasMetadata object : objects) {
            layers.computeIfAbsent(layer(object), ignored -> new ArrayList<>()).add(object);
        }
        return layers;
    }

    private static List<String> tiers(List<HasMetadata> layer) {
        List<HasMetadata> workloads =
                layer.stream().filter(KubernetesApplier::isWorkload).toList();
        Set<String> tiers = new LinkedHashSet<>();
        (workloads.isEmpty() ? layer : workloads).forEach(object -> tiers.add(tierOf(object)));
        return List.copyOf(tiers);
    }

    private static int layer(HasMetadata object) {
        return layerAnnotation(object).orElse(Integer.MAX_VALUE);
    }

    private static Optional<Integer> layerAnnotation(HasMetadata object) {
        try {
            return Optional.ofNullable(annotation(object, Names.START_LAYER_ANNOTATION))
                    .map(Integer::parseInt);
        } catch (NumberFormatException ignored) {
            return Optional.empty();
        }
    }

    private static String annotation(HasMetadata object, String key) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    private static String tierOf(HasMetadata object) {
        Map<String, String> labels = object.getMetadata().getLabels();
        return labels == null ? object.getMetadata().getName() : labels.getOrDefault(Names.TIER_LABEL, "?");
    }

    private static String workloadComponent(HasMetadata object) {
        Map<String, String> labels = object.getMetadata().getLabels();
        return labels == null ? tierOf(object) : labels.getOrDefault("app.kubernetes.io/name", tierOf(object));
    }

    private static Map<String, String> ownedLabels(String cluster) {
        return Map.of(INSTANCE_LABEL, cluster, MANAGED_BY_LABEL, "flotilla");
    }

    private static void refuseIf(Optional<String> refusal) {
        if (refusal.isPresent()) {
            throw new KubernetesApplyException(KubernetesApplyException.SCALE_REFUSED, refusal.get());
        }
    }

    private static String reason(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage()
                : e.getMessage();
    }

    private static String format(Duration duration) {
        return duration.toMillis() % 1000 == 0
                ? "%d s".formatted(duration.toSeconds())
                : "%d ms".formatted(duration.toMillis());
    }
}
