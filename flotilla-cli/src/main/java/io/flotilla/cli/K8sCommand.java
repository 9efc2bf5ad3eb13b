package io.flotilla.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.flotilla.k8s.ClusterStatus;
import io.flotilla.k8s.KubernetesApplier;
import io.flotilla.k8s.KubernetesClients;
import io.flotilla.k8s.ManifestRenderer;
import io.flotilla.k8s.Manifests;
import io.flotilla.k8s.RenderOptions;
import io.flotilla.operations.KubernetesClusters;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "k8s",
        mixinStandardHelpOptions = true,
        description = "Run a cluster on Kubernetes, without an operator.",
        subcommands = {
            K8sCommand.Render.class,
            K8sCommand.Apply.class,
            K8sCommand.Status.class,
            K8sCommand.Scale.class,
            K8sCommand.Delete.class
        })
final class K8sCommand {
    /** The topology file and the options that turn it into manifests, shared by render, apply and scale. */
    static final class RenderArguments {
        @Parameters(
                index = "0",
                paramLabel = "FILE",
                description = "The topology file (TiUP's format plus Flotilla's sections).")
        Path file;

        @Option(
                names = "--name",
                defaultValue = "flotilla",
                description = "The cluster's name, the prefix of every object (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(
                names = "--namespace",
                defaultValue = "default",
                description = "The namespace of every object (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(
                names = "--storage-class",
                description = "The storage class of the volume claims (default: the cluster's default class).")
        String storageClass;

        @Option(
                names = "--image-registry",
                description =
                        "A registry, with an optional port and path, that serves the images instead of Docker Hub.")
        String imageRegistry;

        @Option(
                names = "--node-port",
                split = ",",
                paramLabel = "COMPONENT",
                description = "Expose a stateless component (tidb, haproxy) through a NodePort Service.")
        List<String> nodePorts = List.of();

        @Option(
                names = "--existing-secret",
                paramLabel = "NAME",
                description = "Take the passwords from this Secret instead of generating a new one.")
        String existingSecret;

        @Option(
                names = "--storage-size",
                paramLabel = "COMPONENT=SIZE",
                description = "The volume size of a stateful component, such as tikv=500Gi (defaults: pd=10Gi,"
                        + " tikv=100Gi, mariadb=20Gi).")
        Map<String, String> storageSizes = new LinkedHashMap<>();

        @Option(
                names = "--cluster-domain",
                defaultValue = "cluster.local",
                description = "The Kubernetes cluster's DNS domain (default: ${DEFAULT-VALUE}).")
        String clusterDomain;

        RenderOptions options() {
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
            return options;
        }

        /** @throws io.flotilla.k8s.RenderException with every problem, before anything is printed or applied */
        Manifests render() throws IOException {
            Topology topology = TopologyParser.parse(file);
            return ManifestRenderer.standard().render(topology, options());
        }
    }

    /** Which API server to talk to, the way kubectl picks it. */
    static final class Connection {
        @Option(
                names = "--kubeconfig",
                paramLabel = "FILE",
                description = "The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's"
                        + " service account).")
        Path kubeconfig;

        @Option(
                names = "--context",
                paramLabel = "CONTEXT",
                description = "A context of the kubeconfig (default: its current context).")
        String context;

        KubernetesClient connect() throws NoSuchFileException {
            return KubernetesClients.connect(Optional.ofNullable(kubeconfig), Optional.ofNullable(context));
        }
    }

    /** How long a tier may take to become ready, and how often to look. */
    static final class Waiting {
        @Option(
                names = "--timeout",
                defaultValue = "600",
                paramLabel = "SECONDS",
                description = "How long each tier may take to become ready (default: ${DEFAULT-VALUE} s).")
        long timeoutSeconds;

        /** Hidden: tests against the mock API server look more often than a real cluster needs. */
        @Option(names = "--poll-interval-ms", defaultValue = "2000", hidden = true)
        long pollMillis;

        KubernetesApplier applier(KubernetesClient client, Output output) {
            return new KubernetesApplier(
                    client,
                    Duration.ofSeconds(timeoutSeconds),
                    Duration.ofMillis(pollMillis),
                    line -> output.err().println(line));
        }
    }

    /** The cluster that status and delete are about, by the name and namespace it was applied with. */
    static final class Deployed {
        @Option(
                names = "--name",
                defaultValue = "flotilla",
                description = "The cluster's name (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(
                names = "--namespace",
                defaultValue = "default",
                description = "The cluster's namespace (default: ${DEFAULT-VALUE}).")
        String namespace;
    }

    /** render, apply and scale: they work on the manifests of a topology file, and stop when it cannot be read. */
    abstract static class FromTopology extends OutputCommand {
        @Mixin
        RenderArguments render;

        @Override
        final int run(Output output) throws Exception {
            return run(output, render.render());
        }

        /** The command's work on the rendered manifests; the exit code it returns is the command's. */
        abstract int run(Output output, Manifests manifests) throws Exception;
    }

    /** apply and scale: change the cluster to the rendered manifests with an applier that waits for each tier. */
    abstract static class Rollout extends FromTopology {
        @Mixin
        private Connection connection;

        @Mixin
        private Waiting waiting;

        @Override
        int run(Output output, Manifests manifests) throws Exception {
            try (KubernetesClient client = connection.connect()) {
                roll(output, Services.kubernetes(output), waiting.applier(client, output), manifests);
            }
            return 0;
        }

        /** Brings the cluster to {@code manifests} and says so; the client is closed when it returns. */
        abstract void roll(Output output, KubernetesClusters clusters, KubernetesApplier applier, Manifests manifests);
    }

    @Command(
            name = "render",
            mixinStandardHelpOptions = true,
            description = {
                "Print the Kubernetes manifests of a topology as multi-document YAML, in start order.",
                "Exits 0 with the YAML on standard output; 1 with every problem on standard error, before anything"
                        + " is printed."
            })
    static final class Render extends FromTopology {
        @Override
        int run(Output output, Manifests manifests) {
            output.out().print(manifests.yaml());
            output.out().flush();
            return 0;
        }
    }

    @Command(
            name = "apply",
            mixinStandardHelpOptions = true,
            description = {
                "Apply a topology to a Kubernetes cluster one start layer at a time.",
                "Each tier is ready before the next starts (PD before TiKV before TiDB; the MariaDB primary before"
                        + " its replicas).",
                "Checks first, before anything is created: the topology, the Secret named by --existing-secret,"
                        + " the storage class, and that the pods fit on the nodes.",
                "Progress goes to standard error. Exits 0 when every tier is ready; 1 when refused (nothing"
                        + " applied) or when a tier is not ready in time (its pods and their last events are"
                        + " named). Applying again changes only what changed.",
                "Runs under the cluster's lock, journaled (one step per layer: an apply cut short goes on from"
                        + " the first layer not ready) and audited, like the operations on hosts."
            })
    static final class Apply extends Rollout {
        @Override
        void roll(Output output, KubernetesClusters clusters, KubernetesApplier applier, Manifests manifests) {
            KubernetesApplier.ApplySummary summary = clusters.apply(
                    applier,
                    manifests,
                    render.name,
                    render.namespace,
                    Services.commandLine(
                            "k8s",
                            "apply",
                            String.valueOf(render.file),
                            "--name",
                            render.name,
                            "--namespace",
                            render.namespace));
            output.out()
                    .printf(
                            "Cluster %s is ready in namespace %s: %d objects, %d created, %d updated, %d"
                                    + " unchanged.%n",
                            render.name,
                            render.namespace,
                            manifests.objects().size(),
                            summary.created(),
                            summary.updated(),
                            summary.unchanged());
        }
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Show a cluster's StatefulSets, Deployments and Jobs in start order, with ready counts and"
                    + " pods.")
    static final class Status extends OutputCommand {
        @Mixin
        private Deployed cluster;

        @Mixin
        private Connection connection;

        @Mixin
        private FormatOption format;

        @Override
        int run(Output output) throws Exception {
            ClusterStatus status;
            try (KubernetesClient client = connection.connect()) {
                status = new KubernetesApplier(client, Duration.ZERO, Duration.ZERO, line -> {})
                        .status(cluster.name, cluster.namespace);
            }
            if (status.workloads().isEmpty()) {
                output.err()
                        .printf(
                                "Error: there is no cluster %s in namespace %s: no StatefulSet, Deployment or Job has"
                                        + " the label app.kubernetes.io/instance=%s; check --name and --namespace%n",
                                cluster.name, cluster.namespace, cluster.name);
                return 1;
            }
            if (format.json()) {
                output.json(status);
                return 0;
            }
            output.out().printf("Cluster %s in namespace %s%n%n", cluster.name, cluster.namespace);
            List<List<String>> rows = new ArrayList<>();
            for (ClusterStatus.Workload workload : status.workloads()) {
                rows.add(List.of(
                        String.valueOf(workload.layer()),
                        workload.tier(),
                        workload.kind(),
                        workload.name(),
                        "%d/%d".formatted(workload.ready(), workload.desired()),
                        workload.pods().isEmpty()
                                ? "-"
                                : workload.pods().stream().map(K8sCommand::pod).collect(Collectors.joining(", "))));
            }
            output.out().print(Output.table(List.of("LAYER", "TIER", "KIND", "NAME", "READY", "PODS"), rows));
            return 0;
        }
    }

    @Command(
            name = "scale",
            mixinStandardHelpOptions = true,
            description = {
                "Set the number of pods of one tier and wait until they are ready.",
                "Refused, with nothing changed: pd or tikv below 3 pods, tikv shrinking by more than one pod at a"
                        + " time, any change to pd's members, a second mariadb-primary, and an autoscaled tier"
                        + " (its HorizontalPodAutoscaler owns the count).",
                "The topology file is not changed: update it too, or the next apply of a changed topology sets the"
                        + " count back."
            })
    static final class Scale extends Rollout {
        @Parameters(
                index = "1",
                paramLabel = "ROLE",
                description = "The tier: pd, tikv, tidb, mariadb-replica, haproxy.")
        private String tier;

        @Parameters(index = "2", paramLabel = "N", description = "The number of pods.")
        private int replicas;

        @Override
        void roll(Output output, KubernetesClusters clusters, KubernetesApplier applier, Manifests manifests) {
            clusters.scale(
                    applier,
                    manifests,
                    render.name,
                    render.namespace,
                    tier,
                    replicas,
                    Services.commandLine(
                            "k8s",
                            "scale",
                            String.valueOf(render.file),
                            tier,
                            String.valueOf(replicas),
                            "--name",
                            render.name,
                            "--namespace",
                            render.namespace));
            output.out().printf("Tier %s of cluster %s has %d ready pods.%n", tier, render.name, replicas);
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = {
                "Delete a cluster's objects in reverse start order.",
                "Its volume claims and the Secret with the passwords their data was created with are kept unless"
                        + " --delete-volumes."
            })
    static final class Delete extends OutputCommand {
        @Mixin
        private Deployed cluster;

        @Option(names = "--delete-volumes", description = "Also delete the volume claims (the data) and the Secret.")
        private boolean deleteVolumes;

        @Option(names = "--yes", description = "Required: the cluster stops serving.")
        private boolean yes;

        @Mixin
        private Connection connection;

        @Override
        int run(Output output) throws Exception {
            if (!yes) {
                output.err()
                        .printf(
                                "Error: deleting cluster %s stops it%s; add --yes to go on%n",
                                cluster.name, deleteVolumes ? " and deletes its data" : "");
                return 1;
            }
            KubernetesApplier.DeleteSummary summary;
            try (KubernetesClient client = connection.connect()) {
                KubernetesApplier applier = new KubernetesApplier(
                        client,
                        Duration.ZERO,
                        Duration.ZERO,
                        line -> output.err().println(line));
                summary = Services.kubernetes(output)
                        .delete(
                                applier,
                                cluster.name,
                                cluster.namespace,
                                deleteVolumes,
                                Services.commandLine(
                                        "k8s",
                                        "delete",
                                        "--name",
                                        cluster.name,
                                        "--namespace",
                                        cluster.namespace,
                                        deleteVolumes ? "--delete-volumes --yes" : "--yes"));
            }
            if (summary.deleted().isEmpty() && summary.kept().isEmpty()) {
                output.err().printf("Error: there is no cluster %s in namespace %s%n", cluster.name, cluster.namespace);
                return 1;
            }
            output.out()
                    .printf(
                            "Cluster %s deleted from namespace %s: %d objects deleted%s.%n",
                            cluster.name,
                            cluster.namespace,
                            summary.deleted().size(),
                            summary.kept().isEmpty() ? "" : ", kept " + String.join(", ", summary.kept()));
            return 0;
        }
    }

    private static String pod(ClusterStatus.Pod pod) {
        String state = pod.ready() ? "ready" : pod.phase();
        return pod.restarts() == 0
                ? "%s %s".formatted(pod.name(), state)
                : "%s %s (%d restarts)".formatted(pod.name(), state, pod.restarts());
    }
}
