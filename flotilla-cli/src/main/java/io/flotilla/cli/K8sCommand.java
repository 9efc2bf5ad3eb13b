package io.flotilla.cli;

import io.flotilla.k8s.ManifestRenderer;
import io.flotilla.k8s.RenderException;
import io.flotilla.k8s.RenderOptions;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "k8s",
        mixinStandardHelpOptions = true,
        description = "Run a cluster on Kubernetes, without an operator.",
        subcommands = K8sCommand.Render.class)
final class K8sCommand {
    @ParentCommand
    private FlotillaCommand parent;

    @Command(
            name = "render",
            mixinStandardHelpOptions = true,
            description = {
                "Print the Kubernetes manifests of a topology as multi-document YAML, in start order.",
                "Exits 0 with the YAML on standard output; 1 with every problem on standard error, before anything"
                        + " is printed."
            })
    static final class Render implements Callable<Integer> {
        @ParentCommand
        private K8sCommand parent;

        @Parameters(paramLabel = "FILE", description = "The topology file (TiUP's format plus Flotilla's sections).")
        private Path file;

        @Option(
                names = "--name",
                defaultValue = "flotilla",
                description = "The cluster's name, the prefix of every object (default: ${DEFAULT-VALUE}).")
        private String name;

        @Option(
                names = "--namespace",
                defaultValue = "default",
                description = "The namespace of every object (default: ${DEFAULT-VALUE}).")
        private String namespace;

        @Option(
                names = "--storage-class",
                description = "The storage class of the volume claims (default: the cluster's default class).")
        private String storageClass;

        @Option(
                names = "--image-registry",
                description =
                        "A registry, with an optional port and path, that serves the images instead of Docker Hub.")
        private String imageRegistry;

        @Option(
                names = "--node-port",
                split = ",",
                paramLabel = "COMPONENT",
                description = "Expose a stateless component (tidb, haproxy) through a NodePort Service.")
        private List<String> nodePorts = List.of();

        @Option(
                names = "--existing-secret",
                paramLabel = "NAME",
                description = "Take the passwords from this Secret instead of generating a new one.")
        private String existingSecret;

        @Option(
                names = "--storage-size",
                paramLabel = "COMPONENT=SIZE",
                description = "The volume size of a stateful component, such as tikv=500Gi (defaults: pd=10Gi,"
                        + " tikv=100Gi, mariadb=20Gi).")
        private Map<String, String> storageSizes = new LinkedHashMap<>();

        @Option(
                names = "--cluster-domain",
                defaultValue = "cluster.local",
                description = "The Kubernetes cluster's DNS domain (default: ${DEFAULT-VALUE}).")
        private String clusterDomain;

        @Override
        public Integer call() throws Exception {
            Output output = parent.parent.output();
            RenderOptions options = RenderOptions.of(name)
                    .withNamespace(namespace)
                    .withNodePorts(new LinkedHashSet<>(nodePorts))
                    .withStorageSizes(storageSizes)
                    .withClusterDomain(clusterDomain);
            if (storageClass != null) {
                options = options.withStorageClass(storageClass);
            }
            if (imageRegistry != null) {
                options = options.withImageRegistry(imageRegistry);
            }
            if (existingSecret != null) {
                options = options.withExistingSecret(existingSecret);
            }
            String yaml;
            try {
                Topology topology = TopologyParser.parse(Files.readString(file), file.toString());
                yaml = ManifestRenderer.standard().render(topology, options).yaml();
            } catch (NoSuchFileException e) {
                output.err().printf("Error: topology file %s does not exist%n", file);
                return 1;
            } catch (RenderException e) {
                output.err().printf("Error: %s%n", e.getMessage());
                return 1;
            }
            output.out().print(yaml);
            output.out().flush();
            return 0;
        }
    }
}
