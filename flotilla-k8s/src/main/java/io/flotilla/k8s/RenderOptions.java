package io.flotilla.k8s;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * How a topology becomes manifests: where they go and what the cluster around them offers.
 *
 * @param clusterName prefixes every object's name and fills {@code app.kubernetes.io/instance}
 * @param namespace the namespace every object is rendered into
 * @param storageClass the storage class of the volume claims; empty for the cluster's default
 * @param imageRegistry a registry (and path) that replaces Docker Hub in every image; empty for Docker Hub
 * @param nodePortComponents stateless components whose Service is a NodePort instead of a ClusterIP
 * @param existingSecret a Secret that already holds the passwords; empty to generate one
 * @param storageSizes volume size per stateful component, over the catalog's
 * @param clusterDomain the cluster's DNS domain, for clients that do not use the resolver's search list (HAProxy)
 */
public record RenderOptions(
        String clusterName,
        String namespace,
        Optional<String> storageClass,
        Optional<String> imageRegistry,
        Set<String> nodePortComponents,
        Optional<String> existingSecret,
        Map<String, String> storageSizes,
        String clusterDomain) {
    public RenderOptions {
        requireNonNull(clusterName, "clusterName is null");
        requireNonNull(namespace, "namespace is null");
        requireNonNull(storageClass, "storageClass is null");
        requireNonNull(imageRegistry, "imageRegistry is null");
        nodePortComponents = Set.copyOf(nodePortComponents);
        requireNonNull(existingSecret, "existingSecret is null");
        storageSizes = Map.copyOf(storageSizes);
        requireNonNull(clusterDomain, "clusterDomain is null");
    }

    /** A cluster in the {@code default} namespace, on the default storage class, with images from Docker Hub. */
    public static RenderOptions of(String clusterName) {
        return new RenderOptions(
                clusterName,
                "default",
                Optional.empty(),
                Optional.empty(),
                Set.of(),
                Optional.empty(),
                Map.of(),
                "cluster.local");
    }

    public RenderOptions withNamespace(String namespace) {
        return with(parts -> parts.namespace = namespace);
    }

    public RenderOptions withStorageClass(String storageClass) {
        return with(parts -> parts.storageClass = Optional.of(storageClass));
    }

    public RenderOptions withImageRegistry(String imageRegistry) {
        return with(parts -> parts.imageRegistry = Optional.of(imageRegistry));
    }

    public RenderOptions withNodePorts(Set<String> components) {
        return with(parts -> parts.nodePortComponents = components);
    }

    public RenderOptions withExistingSecret(String secret) {
        return with(parts -> parts.existingSecret = Optional.of(secret));
    }

    public RenderOptions withStorageSizes(Map<String, String> sizes) {
        return with(parts -> parts.storageSizes = sizes);
    }

    public RenderOptions withClusterDomain(String domain) {
        return with(parts -> parts.clusterDomain = domain);
    }

    /** The Secret that holds the cluster's passwords, generated or given. */
    public String secretName() {
        return existingSecret.orElse(clusterName + "-root");
    }

    /** These options with some parts changed: the one place the withers name every component. */
    private RenderOptions with(Consumer<Parts> change) {
        Parts parts = new Parts(this);
        change.accept(parts);
        return parts.options();
    }

    /** The components of options being changed; the new options check them as any others. */
    private static final class Parts {
        private final String clusterName;
        private String namespace;
        private Optional<String> storageClass;
        private Optional<String> imageRegistry;
        private Set<String> nodePortComponents;
        private Optional<String> existingSecret;
        private Map<String, String> storageSizes;
        private String clusterDomain;

        private Parts(RenderOptions options) {
            clusterName = options.clusterName;
            namespace = options.namespace;
            storageClass = options.storageClass;
            imageRegistry = options.imageRegistry;
            nodePortComponents = options.nodePortComponents;
            existingSecret = options.existingSecret;
            storageSizes = options.storageSizes;
            clusterDomain = options.clusterDomain;
        }

        private RenderOptions options() {
            return new RenderOptions(
                    clusterName,
                    namespace,
                    storageClass,
                    imageRegistry,
                    nodePortComponents,
                    existingSecret,
                    storageSizes,
                    clusterDomain);
        }
    }
}
