package io.flotilla.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/**
 * The objects of one cluster in apply order, and the notes a reader of the YAML needs (what was
 * left out, what Kubernetes does differently from the topology).
 */
public record Manifests(List<String> header, List<HasMetadata> objects) {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    public Manifests {
        header = List.copyOf(header);
        objects = List.copyOf(objects);
    }

    /** Every object as a YAML document, after the header as comments; ready for {@code kubectl apply -f -}. */
    public String yaml() {
        StringBuilder yaml = new StringBuilder();
        header.forEach(line -> yaml.append(line.isEmpty() ? "#" : "# " + line).append('\n'));
        for (HasMetadata object : objects) {
            String document = SERIALIZATION.asYaml(object);
            if (!document.startsWith("---")) {
                yaml.append("---\n");
            }
            yaml.append(document);
            if (!document.endsWith("\n")) {
                yaml.append('\n');
            }
        }
        return yaml.toString();
    }
}
