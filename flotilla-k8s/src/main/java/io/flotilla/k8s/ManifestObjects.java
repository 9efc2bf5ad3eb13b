package io.flotilla.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** What the applier reads from rendered and live objects: their layer, tier, component, pod template and size. */
final class ManifestObjects {
    private ManifestObjects() {}

    /** An autoscaled Deployment has no replica count of its own; until it reports one it wants at least a pod. */
    static int specReplicas(HasMetadata workload) {
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

    static PodTemplateSpec podTemplate(HasMetadata object) {
        return switch (object) {
            case StatefulSet set -> set.getSpec().getTemplate();
            case Deployment deployment -> deployment.getSpec().getTemplate();
            case Job job -> job.getSpec().getTemplate();
            default -> null;
        };
    }

    static boolean isWorkload(HasMetadata object) {
        return object instanceof StatefulSet || object instanceof Deployment || object instanceof Job;
    }

    static String namespaceOf(List<HasMetadata> objects, List<String> problems) {
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

    static TreeMap<Integer, List<HasMetadata>> layers(List<HasMetadata> objects) {
        TreeMap<Integer, List<HasMetadata>> layers = new TreeMap<>();
        for (HasMetadata object : objects) {
            layers.computeIfAbsent(layer(object), ignored -> new ArrayList<>()).add(object);
        }
        return layers;
    }

    static List<String> tiers(List<HasMetadata> layer) {
        List<HasMetadata> workloads =
                layer.stream().filter(ManifestObjects::isWorkload).toList();
        Set<String> tiers = new LinkedHashSet<>();
        (workloads.isEmpty() ? layer : workloads).forEach(object -> tiers.add(tierOf(object)));
        return List.copyOf(tiers);
    }

    static int layer(HasMetadata object) {
        return layerAnnotation(object).orElse(Integer.MAX_VALUE);
    }

    static Optional<Integer> layerAnnotation(HasMetadata object) {
        try {
            return Optional.ofNullable(annotation(object, Names.START_LAYER_ANNOTATION))
                    .map(Integer::parseInt);
        } catch (NumberFormatException ignored) {
            return Optional.empty();
        }
    }

    static String annotation(HasMetadata object, String key) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    static String tierOf(HasMetadata object) {
        Map<String, String> labels = object.getMetadata().getLabels();
        return labels == null ? object.getMetadata().getName() : labels.getOrDefault(Names.TIER_LABEL, "?");
    }

    static String workloadComponent(HasMetadata object) {
        Map<String, String> labels = object.getMetadata().getLabels();
        return labels == null ? tierOf(object) : labels.getOrDefault("app.kubernetes.io/name", tierOf(object));
    }
}
