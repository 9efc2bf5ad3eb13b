package io.flotilla.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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

    /**
     * Names what these manifests apply, the same for every render of the same topology and options:
     * a Secret counts by its name only, since a render without {@code --existing-secret} generates
     * new passwords each time (and an existing Secret is never replaced anyway).
     */
    public String version() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (HasMetadata object : objects) {
                String document = object instanceof Secret
                        ? "Secret " + object.getMetadata().getName()
                        : SERIALIZATION.asJson(object);
                digest.update((document + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
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
