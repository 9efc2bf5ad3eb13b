package io.flotilla.k8s;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

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

    public RenderOptions withStorageClass(String storageClass) {
        return new RenderOptions(
                clusterName,
                namespace,
                Optional.of(storageClass),
                imageRegistry,
                nodePortComponents,
                existingSecret,
                storageSizes,
                clusterDomain);
    }

    public RenderOptions withImageRegistry(String imageRegistry) {
        return new RenderOptions(
                clusterName,
                namespace,
                storageClass,
                Optional.of(imageRegistry),
                nodePortComponents,
                existingSecret,
                storageSizes,
                clusterDomain);
    }

    public RenderOptions withNodePorts(Set<String> components) {
        return new RenderOptions(
                clusterName,
                namespace,
                storageClass,
                imageRegistry,
                components,
                existingSecret,
                storageSizes,
                clusterDomain);
    }

    public RenderOptions withExistingSecret(String secret) {
        return new RenderOptions(
                clusterName,
                namespace,
                storageClass,
                imageRegistry,
                nodePortComponents,
                Optional.of(secret),
                storageSizes,
                clusterDomain);
    }

    public RenderOptions withStorageSizes(Map<String, String> sizes) {
        return new RenderOptions(
                clusterName,
                namespace,
                storageClass,
                imageRegistry,
                nodePortComponents,
                existingSecret,
                sizes,
                clusterDomain);
    }

    public RenderOptions withClusterDomain(String domain) {
        return new RenderOptions(
                clusterName,
                namespace,
                storageClass,
                imageRegistry,
                nodePortComponents,
                existingSecret,
                storageSizes,
                domain);
    }

    /** The Secret that holds the cluster's passwords, generated or given. */
    public String secretName() {
        return existingSecret.orElse(clusterName + "-root");
    }
}
