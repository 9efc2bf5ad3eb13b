package io.flotilla.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** {@code $FLOTILLA_HOME} (default {@code ~/.flotilla}): one folder per cluster, and the audit log. */
public final class FlotillaHome {
    private final Path root;

    public FlotillaHome(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** {@code $FLOTILLA_HOME}, or the {@code flotilla.home} system property that tests set, or {@code ~/.flotilla}. */
    public static FlotillaHome fromEnvironment() {
        String property = System.getProperty("flotilla.home");
        if (property != null && !property.isBlank()) {
            return new FlotillaHome(Path.of(property));
        }
        String configured = System.getenv("FLOTILLA_HOME");
        if (configured != null && !configured.isBlank()) {
            return new FlotillaHome(Path.of(configured));
        }
        return new FlotillaHome(Path.of(System.getProperty("user.home"), ".flotilla"));
    }

    public Path root() {
        return root;
    }

    /**
     * What Flotilla builds once and reuses (the agent's Java runtime): {@code $FLOTILLA_CACHE}, or the
     * {@code flotilla.cache} system property that tests set to share one cache, or {@code <home>/cache}.
     */
    public Path cache() {
        String property = System.getProperty("flotilla.cache");
        if (property != null && !property.isBlank()) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        String configured = System.getenv("FLOTILLA_CACHE");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        return root.resolve("cache");
    }

    public ClusterStore cluster(String name) {
        ClusterStore.checkName(name);
        return new ClusterStore(name, root.resolve("clusters").resolve(name));
    }

    /**
     * Where a cluster on Kubernetes keeps its lock and journal: {@code kubernetes/NAMESPACE/NAME}.
     * Its topology and passwords live in the Kubernetes cluster, not here.
     */
    public ClusterStore kubernetes(String namespace, String name) {
        ClusterStore.checkName(namespace);
        ClusterStore.checkName(name);
        return new ClusterStore(
                "%s/%s".formatted(namespace, name),
                root.resolve("kubernetes").resolve(namespace).resolve(name));
    }

    public List<ClusterStore> clusters() {
        Path clusters = root.resolve("clusters");
        if (!Files.isDirectory(clusters)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(clusters)) {
            return list.sorted()
                    .map(dir -> new ClusterStore(dir.getFileName().toString(), dir))
                    .filter(ClusterStore::exists)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + clusters, e);
        }
    }

    public AuditLog audit() {
        return new AuditLog(root.resolve("audit"));
    }
}
