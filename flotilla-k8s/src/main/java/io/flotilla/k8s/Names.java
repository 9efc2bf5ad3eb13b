package io.flotilla.k8s;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/** The names, labels and addresses every object of one rendered cluster shares. */
record Names(RenderOptions options) {
    static final String TIER_LABEL = "flotilla.io/tier";
    static final String START_LAYER_ANNOTATION = "flotilla.io/start-layer";

    String cluster() {
        return options.clusterName();
    }

    String namespace() {
        return options.namespace();
    }

    /** The workload of a tier: {@code <cluster>-<tier>}. */
    String workload(Tier tier) {
        return workload(tier.name());
    }

    String workload(String tier) {
        return cluster() + "-" + tier;
    }

    /** The headless Service that gives the pods of a StatefulSet their stable names. */
    String peerService(Tier tier) {
        return peerService(tier.name());
    }

    String peerService(String tier) {
        return workload(tier) + "-peer";
    }

    /** A Service's name as pods resolve it through their search list. */
    String serviceHost(String service) {
        return "%s.%s.svc".formatted(service, namespace());
    }

    /** A pod of a StatefulSet as its peers resolve it. */
    String podHost(String tier, int ordinal) {
        return "%s-%d.%s.%s.svc".formatted(workload(tier), ordinal, peerService(tier), namespace());
    }

    /** The pod's own stable name, with {@code POD_NAME} set from the downward API. */
    String ownPodHost(String tier) {
        return "$(POD_NAME).%s.%s.svc".formatted(peerService(tier), namespace());
    }

    Map<String, String> selector(String tier) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/instance", cluster());
        labels.put("app.kubernetes.io/component", tier);
        return labels;
    }

    Map<String, String> labels(String component, String tier) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", component);
        labels.putAll(selector(tier));
        labels.put("app.kubernetes.io/part-of", "flotilla");
        labels.put("app.kubernetes.io/managed-by", "flotilla");
        labels.put(TIER_LABEL, tier);
        return labels;
    }

    ObjectMeta meta(String name, String component, String tier, int layer) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(namespace())
                .withLabels(labels(component, tier))
                .withAnnotations(Map.of(START_LAYER_ANNOTATION, String.valueOf(layer)))
                .build();
    }

    ObjectMeta meta(String name, Tier tier) {
        return meta(name, tier.component(), tier.name(), tier.layer());
    }

    String image(String repository, String version) {
        String image = repository + ":" + version;
        return options.imageRegistry().map(registry -> registry + "/" + image).orElse(image);
    }
}
