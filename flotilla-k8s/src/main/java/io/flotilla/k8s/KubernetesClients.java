package io.flotilla.k8s;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/** Clients for the API server named by a kubeconfig, the way kubectl finds it. */
public final class KubernetesClients {
    private KubernetesClients() {}

    /**
     * @param kubeconfig a kubeconfig file; empty for {@code $KUBECONFIG}, {@code ~/.kube/config} or the in-cluster service account
     * @param context a context of the kubeconfig; empty for its current context
     */
    public static KubernetesClient connect(Optional<Path> kubeconfig, Optional<String> context)
            throws NoSuchFileException {
        Config config;
        if (kubeconfig.isPresent()) {
            Path file = kubeconfig.get();
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString());
            }
            config = Config.fromKubeconfig(context.orElse(null), file.toFile());
        } else {
            config = Config.autoConfigure(context.orElse(null));
        }
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
