package io.flotilla.k8s;

import static io.flotilla.k8s.ManifestObjects.layerAnnotation;
import static io.flotilla.k8s.ManifestObjects.podTemplate;
import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What a cluster would only show after an apply, checked before anything is created: objects
 * without a start layer, a Secret the pods read that is missing or lacks a key, an unknown storage
 * class (or no default one), pods larger than any node.
 */
final class KubernetesPreflight {
    private static final String DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

    private final KubernetesClient client;
    /** Hears what could not be checked, since this account may not read it. */
    private final KubernetesProgress progress;

    KubernetesPreflight(KubernetesClient client, KubernetesProgress progress) {
        this.client = requireNonNull(client, "client is null");
        this.progress = requireNonNull(progress, "progress is null");
    }

    /** Adds to {@code problems} what would keep {@code objects} from running in {@code namespace}. */
    void check(List<HasMetadata> objects, String namespace, List<String> problems) {
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
        Optional<List<StorageClass>> listed = listIfAllowed(
                () -> client.storage().v1().storageClasses().list().getItems(),
                "storage classes not checked: this account may not list them");
        if (listed.isEmpty()) {
            return;
        }
        List<StorageClass> classes = listed.get();
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
        List<Node> nodes = listIfAllowed(
                        () -> client.nodes().list().getItems(),
                        "node sizes not checked: this account may not list nodes")
                .orElse(List.of())
                .stream()
                .filter(node -> node.getSpec() == null
                        || !Boolean.TRUE.equals(node.getSpec().getUnschedulable()))
                .filter(node -> node.getStatus() != null && node.getStatus().getAllocatable() != null)
                .toList();
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

    /**
     * What {@code list} lists, or empty when this account may not list it: the check is then not
     * made, and {@code notChecked} says so with the API server's reason.
     */
    private <T> Optional<List<T>> listIfAllowed(Supplier<List<T>> list, String notChecked) {
        try {
            return Optional.of(list.get());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 403) {
                throw e;
            }
            progress.report("%s (%s)".formatted(notChecked, KubernetesApplier.reason(e)));
            return Optional.empty();
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
}
