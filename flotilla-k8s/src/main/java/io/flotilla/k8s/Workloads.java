package io.flotilla.k8s;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.ComponentKind;
import io.flotilla.catalog.KubernetesPods;
import io.flotilla.catalog.PodAddresses;
import io.flotilla.catalog.PodTemplate;
import io.flotilla.catalog.PodTier;
import io.flotilla.topology.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Kubernetes objects of each tier, from the pods its component's {@link KubernetesPods} facet
 * describes: a ConfigMap of its files, the headless Service that names a stateful tier's pods,
 * the tier's Service, and a StatefulSet with a PodDisruptionBudget (stateful) or a Deployment with
 * its HorizontalPodAutoscaler (stateless). Probes, start order and stop timeouts are the catalog's.
 */
final class Workloads {
    private final Catalog catalog;
    private final Topology topology;
    private final RenderOptions options;
    private final Names names;
    private final PodAddresses addresses;
    private final Map<String, Autoscale> autoscale;
    private final Map<String, ResourceRequirements> resources;

    Workloads(
            Catalog catalog,
            Topology topology,
            RenderOptions options,
            Map<String, Autoscale> autoscale,
            Map<String, ResourceRequirements> resources) {
        this.catalog = catalog;
        this.topology = topology;
        this.options = options;
        this.names = new Names(options);
        this.addresses = new Addresses();
        this.autoscale = Map.copyOf(autoscale);
        this.resources = Map.copyOf(resources);
    }

    /** The names the catalog's pods reach each other by. */
    PodAddresses addresses() {
        return addresses;
    }

    List<HasMetadata> of(Tier tier) {
        KubernetesPods pods = pods(tier.kind());
        PodTemplate template = pods.template(podTier(tier), addresses);
        ContainerBuilder builder = container(
                tier,
                template.ports().stream()
                        .map(each -> port(each.name(), each.port()))
                        .toList());
        if (!template.command().isEmpty()) {
            builder.withCommand(template.command());
        }
        if (!template.args().isEmpty()) {
            builder.withArgs(template.args());
        }
        template.env().forEach(env -> builder.addToEnv(env(env)));
        builder.withVolumeMounts(
                template.mounts().stream().map(Workloads::mount).toList());
        Container container = builder.build();

        List<HasMetadata> objects = new ArrayList<>();
        objects.add(new ConfigMapBuilder()
                .withMetadata(names.meta(names.workload(tier) + "-config", tier))
                .withData(template.files())
                .build());
        if (!template.peerPorts().isEmpty()) {
            objects.add(headless(tier, servicePorts(template, template.peerPorts())));
        }
        if (!template.servicePorts().isEmpty()) {
            objects.add(service(tier, names.workload(tier), servicePorts(template, template.servicePorts())));
        }
        if (tier.kind().schema().stateful()) {
            StatefulSet statefulSet = statefulSet(tier, pods, container, configVolume(tier));
            template.init()
                    .ifPresent(init -> statefulSet
                            .getSpec()
                            .getTemplate()
                            .getSpec()
                            .setInitContainers(List.of(initContainer(init))));
            objects.add(statefulSet);
            disruptionBudget(tier).ifPresent(objects::add);
        } else {
            objects.addAll(deployment(tier, container, configVolume(tier)));
        }
        return objects;
    }

    /** A component's image: its repository at the topology's version, or the catalog's default. */
    String image(String component) {
        KubernetesPods pods = pods(catalog.kind(component));
        String version = topology.componentVersions().getOrDefault(component, pods.defaultVersion());
        return names.image(pods.imageRepository(), version);
    }

    private static KubernetesPods pods(ComponentKind kind) {
        return kind.kubernetes()
                .orElseThrow(
                        () -> new IllegalArgumentException("no Kubernetes workload for %s".formatted(kind.name())));
    }

    private PodTier podTier(Tier tier) {
        return new PodTier(tier.name(), tier.first(), tier.replicas(), topology, options.clusterName());
    }

    private static List<ServicePort> servicePorts(PodTemplate template, List<String> names) {
        return names.stream()
                .map(name -> template.ports().stream()
                        .filter(port -> port.name().equals(name))
                        .findFirst()
                        .map(port -> servicePort(name, port.port()))
                        .orElseThrow(() -> new IllegalStateException("the pods have no port named " + name)))
                .toList();
    }

    private EnvVar env(PodTemplate.Env env) {
        if (env.secretKey() != null) {
            return secretEnv(env.name(), env.secretKey());
        }
        if (env.fieldPath() != null) {
            return new EnvVarBuilder()
                    .withName(env.name())
                    .withNewValueFrom()
                    .withNewFieldRef()
                    .withFieldPath(env.fieldPath())
                    .endFieldRef()
                    .endValueFrom()
                    .build();
        }
        return new EnvVarBuilder().withName(env.name()).withValue(env.value()).build();
    }

    private Container initContainer(PodTemplate.InitContainer init) {
        return new ContainerBuilder()
                .withName(init.name())
                .withImage(init.image())
                .withImagePullPolicy("IfNotPresent")
                .withCommand("/bin/sh", "-c", init.script())
                .withEnv(init.env().stream().map(this::env).toList())
                .build();
    }

    private ContainerBuilder container(Tier tier, List<ContainerPort> ports) {
        int mainPort = tier.first().mainPort();
        ContainerBuilder builder = new ContainerBuilder()
                .withName(tier.component())
                .withImage(image(tier.component()))
                .withImagePullPolicy("IfNotPresent")
                .withPorts(ports)
                .withEnv(new EnvVarBuilder()
                        .withName("POD_NAME")
                        .withNewValueFrom()
                        .withNewFieldRef()
                        .withFieldPath("metadata.name")
                        .endFieldRef()
                        .endValueFrom()
                        .build())
                .withLivenessProbe(ProbeMapping.liveness(
                        mainPort, tier.kind().readyTimeout().toSeconds()));
        ProbeMapping.readiness(tier.kind().readiness(podTier(tier).context())).ifPresent(builder::withReadinessProbe);
        Optional.ofNullable(resources.get(tier.name())).ifPresent(builder::withResources);
        return builder;
    }

    private EnvVar secretEnv(String name, String key) {
        return new EnvVarBuilder()
                .withName(name)
                .withNewValueFrom()
                .withNewSecretKeyRef()
                .withName(options.secretName())
                .withKey(key)
                .endSecretKeyRef()
                .endValueFrom()
                .build();
    }

    private static ContainerPort port(String name, int port) {
        return new ContainerPortBuilder()
                .withName(name)
                .withContainerPort(port)
                .withProtocol("TCP")
                .build();
    }

    private static ServicePort servicePort(String name, int port) {
        return new ServicePortBuilder()
                .withName(name)
                .withPort(port)
                .withTargetPort(new IntOrString(name))
                .withProtocol("TCP")
                .build();
    }

    private static VolumeMount mount(PodTemplate.Mount mount) {
        return new VolumeMountBuilder()
                .withName(mount.volume())
                .withMountPath(mount.path())
                .withSubPath(mount.file())
                .build();
    }

    private Volume configVolume(Tier tier) {
        return new VolumeBuilder()
                .withName("config")
                .withNewConfigMap()
                .withName(names.workload(tier) + "-config")
                .endConfigMap()
                .build();
    }

    /** Peers resolve each other before they are ready: PD needs its quorum to become ready at all. */
    private Service headless(Tier tier, List<ServicePort> ports) {
        return new ServiceBuilder()
                .withMetadata(names.meta(names.peerService(tier), tier))
                .withNewSpec()
                .withClusterIP("None")
                .withPublishNotReadyAddresses(true)
                .withSelector(names.selector(tier.name()))
                .withPorts(ports)
                .endSpec()
                .build();
    }

    private Service service(Tier tier, String name, List<ServicePort> ports) {
        boolean nodePort = options.nodePortComponents().contains(tier.component());
        return new ServiceBuilder()
                .withMetadata(names.meta(name, tier))
                .withNewSpec()
                .withType(nodePort ? "NodePort" : "ClusterIP")
                .withSelector(names.selector(tier.name()))
                .withPorts(ports)
                .endSpec()
                .build();
    }

    /**
     * A node drain evicts one pod of a stateful tier at a time, so Raft keeps its quorum and a
     * MariaDB tier keeps a replica.
     */
    private Optional<PodDisruptionBudget> disruptionBudget(Tier tier) {
        if (tier.replicas() < 2) {
            return Optional.empty();
        }
        return Optional.of(new PodDisruptionBudgetBuilder()
                .withMetadata(names.meta(names.workload(tier), tier))
                .withNewSpec()
                .withMaxUnavailable(new IntOrString(1))
                .withNewSelector()
                .withMatchLabels(names.selector(tier.name()))
                .endSelector()
                .endSpec()
                .build());
    }

    /** Pods of a stateful tier prefer different nodes: three TiKV replicas on one node are one failure away from loss. */
    private Affinity spreadOverNodes(Tier tier) {
        return new AffinityBuilder()
                .withNewPodAntiAffinity()
                .addNewPreferredDuringSchedulingIgnoredDuringExecution()
                .withWeight(100)
                .withNewPodAffinityTerm()
                .withTopologyKey("kubernetes.io/hostname")
                .withNewLabelSelector()
                .withMatchLabels(names.selector(tier.name()))
                .endLabelSelector()
                .endPodAffinityTerm()
                .endPreferredDuringSchedulingIgnoredDuringExecution()
                .endPodAntiAffinity()
                .build();
    }

    private PodTemplateSpec podTemplate(Tier tier, Container container, Volume... volumes) {
        PodSpec spec = new PodSpecBuilder()
                .withAffinity(tier.kind().schema().stateful() ? spreadOverNodes(tier) : null)
                .withContainers(container)
                .withVolumes(volumes)
                .withTerminationGracePeriodSeconds((long) tier.kind().stopTimeoutSeconds())
                .build();
        return new PodTemplateSpecBuilder()
                .withNewMetadata()
                .withLabels(names.labels(tier.component(), tier.name()))
                .endMetadata()
                .withSpec(spec)
                .build();
    }

    /**
     * Pods start side by side ({@code Parallel}): a PD member is not ready until a quorum is up,
     * so starting them one by one would wait forever for the first.
     */
    private StatefulSet statefulSet(Tier tier, KubernetesPods pods, Container container, Volume config) {
        PersistentVolumeClaim data = new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("data")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName(options.storageClass().orElse(null))
                .withNewResources()
                .withRequests(Map.of(
                        "storage",
                        new Quantity(options.storageSizes().getOrDefault(tier.component(), pods.storageSize()))))
                .endResources()
                .endSpec()
                .build();
        return new StatefulSetBuilder()
                .withMetadata(names.meta(names.workload(tier), tier))
                .withNewSpec()
                .withServiceName(names.peerService(tier))
                .withReplicas(tier.replicas())
                .withPodManagementPolicy("Parallel")
                .withNewSelector()
                .withMatchLabels(names.selector(tier.name()))
                .endSelector()
                .withTemplate(podTemplate(tier, container, config))
                .withVolumeClaimTemplates(data)
                .endSpec()
                .build();
    }

    /**
     * The Deployment, and its HorizontalPodAutoscaler when the tier is autoscaled. An autoscaled
     * Deployment leaves its replica count to the autoscaler, so a re-apply does not undo its work.
     */
    private List<HasMetadata> deployment(Tier tier, Container container, Volume config) {
        Autoscale entry = autoscale.get(tier.component());
        Deployment deployment = new DeploymentBuilder()
                .withMetadata(names.meta(names.workload(tier), tier))
                .withNewSpec()
                .withReplicas(entry == null ? tier.replicas() : null)
                .withNewSelector()
                .withMatchLabels(names.selector(tier.name()))
                .endSelector()
                .withTemplate(podTemplate(tier, container, config))
                .endSpec()
                .build();
        return entry == null ? List.of(deployment) : List.of(deployment, horizontalPodAutoscaler(tier, entry));
    }

    private HorizontalPodAutoscaler horizontalPodAutoscaler(Tier tier, Autoscale entry) {
        return new HorizontalPodAutoscalerBuilder()
                .withMetadata(names.meta(names.workload(tier), tier))
                .withNewSpec()
                .withNewScaleTargetRef()
                .withApiVersion("apps/v1")
                .withKind("Deployment")
                .withName(names.workload(tier))
                .endScaleTargetRef()
                .withMinReplicas(entry.minReplicas())
                .withMaxReplicas(entry.maxReplicas())
                .addNewMetric()
                .withType("Resource")
                .withNewResource()
                .withName("cpu")
                .withNewTarget()
                .withType("Utilization")
                .withAverageUtilization(entry.targetCpuUtilization())
                .endTarget()
                .endResource()
                .endMetric()
                .endSpec()
                .build();
    }

    /** The names of {@link Names}, by tier name, and images as this topology has them. */
    private final class Addresses implements PodAddresses {
        @Override
        public String cluster() {
            return names.cluster();
        }

        @Override
        public String namespace() {
            return names.namespace();
        }

        @Override
        public String clusterDomain() {
            return options.clusterDomain();
        }

        @Override
        public String workload(String tier) {
            return names.workload(tier);
        }

        @Override
        public String peerService(String tier) {
            return names.peerService(tier);
        }

        @Override
        public String serviceHost(String service) {
            return names.serviceHost(service);
        }

        @Override
        public String podHost(String tier, int ordinal) {
            return names.podHost(tier, ordinal);
        }

        @Override
        public String ownPodHost(String tier) {
            return names.ownPodHost(tier);
        }

        @Override
        public String image(String component) {
            return Workloads.this.image(component);
        }
    }
}
