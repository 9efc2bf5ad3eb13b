package io.flotilla.k8s;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.ComponentKind;
import io.flotilla.catalog.KubernetesPods;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import io.flotilla.topology.Topology;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Renders a topology as Kubernetes manifests without an operator: StatefulSets with headless
 * Services and volume claims for the stateful tiers, Deployments with Services for the stateless
 * ones, PodDisruptionBudgets and node spreading for the stateful ones, the passwords in a Secret,
 * an init Job for the root password and HorizontalPodAutoscalers
 * for the topology's {@code autoscale} section. Objects come in the catalog's start order, each
 * annotated with its start layer so that an applier can wait for one layer before the next.
 * Everything that cannot be rendered is refused with every problem at once, before any output.
 */
public final class ManifestRenderer {
    public static final String TIER_LABEL = Names.TIER_LABEL;
    public static final String START_LAYER_ANNOTATION = Names.START_LAYER_ANNOTATION;
    static final String ROOT_PASSWORD_KEY = KubernetesPods.ROOT_PASSWORD_KEY;

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    /** A registry host with an optional port, then an optional path of repository name components. */
    private static final Pattern IMAGE_REGISTRY = Pattern.compile(
            "[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*(:[0-9]{1,5})?"
                    + "(/[a-z0-9]+([._-][a-z0-9]+)*)*");

    private static final Pattern IMAGE_TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    /** Leaves room for the longest suffix, {@code -mariadb-replica-peer}, within a 63-character name. */
    private static final int CLUSTER_NAME_MAX = 40;

    private static final String PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    private static final int PASSWORD_LENGTH = 24;

    private final Catalog catalog;
    private final Supplier<String> passwords;

    /** @param passwords makes each generated password; tests pass a fixed one */
    public ManifestRenderer(Catalog catalog, Supplier<String> passwords) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.passwords = requireNonNull(passwords, "passwords is null");
    }

    /** The standard catalog and passwords from {@link SecureRandom}. */
    public static ManifestRenderer standard() {
        SecureRandom random = new SecureRandom();
        return new ManifestRenderer(Catalog.standard(), () -> generatePassword(random));
    }

    static String generatePassword(SecureRandom random) {
        StringBuilder password = new StringBuilder(PASSWORD_LENGTH);
        for (int i = 0; i < PASSWORD_LENGTH; i++) {
            password.append(PASSWORD_ALPHABET.charAt(random.nextInt(PASSWORD_ALPHABET.length())));
        }
        return password.toString();
    }

    /** @throws RenderException listing every problem of the topology or the options */
    public Manifests render(Topology topology, RenderOptions options) {
        requireNonNull(topology, "topology is null");
        requireNonNull(options, "options is null");
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        checkOptions(topology, options, problems);
        checkComponents(topology, problems, notes);
        Map<String, Autoscale> autoscale = Autoscale.read(topology.autoscale(), problems);
        checkAutoscale(topology, autoscale, problems);
        List<Tier> tiers = tiers(topology);
        Map<String, ResourceRequirements> resources = new LinkedHashMap<>();
        for (Tier tier : tiers) {
            checkSameAcrossTier(tier, problems, notes);
            resources(topology, tier, autoscale, problems, notes).ifPresent(found -> resources.put(tier.name(), found));
        }
        if (!problems.isEmpty()) {
            throw new RenderException(problems);
        }

        Workloads workloads = new Workloads(catalog, topology, options, autoscale, resources);
        Names names = new Names(options);
        List<HasMetadata> objects = new ArrayList<>();
        List<String> secretKeys = secretKeys(tiers);
        if (options.existingSecret().isEmpty()) {
            objects.add(secret(names, secretKeys));
        }
        tiers.forEach(tier -> objects.addAll(workloads.of(tier)));
        int lastLayer = tiers.getLast().layer();
        objects.add(initRootJob(topology, tiers, names, workloads, lastLayer + 1));
        return new Manifests(header(topology, options, tiers, autoscale, notes, secretKeys), objects);
    }

    private void checkOptions(Topology topology, RenderOptions options, List<String> problems) {
        String name = options.clusterName();
        if (name.length() > CLUSTER_NAME_MAX || !DNS_LABEL.matcher(name).matches()) {
            problems.add(("cluster name '%s' is not valid on Kubernetes; use at most %d lower case letters, digits"
                            + " or '-', starting and ending with a letter or digit")
                    .formatted(name, CLUSTER_NAME_MAX));
        }
        String namespace = options.namespace();
        if (namespace.length() > 63 || !DNS_LABEL.matcher(namespace).matches()) {
            problems.add(("namespace '%s' is not a valid DNS-1123 label; use at most 63 lower case letters, digits"
                            + " or '-', starting and ending with a letter or digit")
                    .formatted(namespace));
        }
        options.storageClass()
                .filter(storageClass -> !isSubdomain(storageClass))
                .ifPresent(storageClass -> problems.add(("storage class '%s' is not a valid storage class name"
                                + " (a DNS-1123 subdomain: lower case letters, digits, '-' and '.'); see"
                                + " kubectl get storageclass")
                        .formatted(storageClass)));
        options.imageRegistry()
                .filter(registry -> !IMAGE_REGISTRY.matcher(registry).matches())
                .ifPresent(registry -> problems.add(("image registry '%s' is not valid; give a host with an optional"
                                + " port and path, such as registry.example.com:5000/mirror, without a scheme")
                        .formatted(registry)));
        options.existingSecret()
                .filter(secret -> !isSubdomain(secret))
                .ifPresent(secret ->
                        problems.add("secret name '%s' is not a valid Kubernetes object name".formatted(secret)));
        if (!isSubdomain(options.clusterDomain())) {
            problems.add("cluster domain '%s' is not a valid DNS name".formatted(options.clusterDomain()));
        }
        for (String component : options.nodePortComponents().stream().sorted().toList()) {
            if (!rendered(false).contains(component)) {
                problems.add("--node-port %s: only the Services of %s can be NodePorts"
                        .formatted(component, either(rendered(false), " and ")));
            } else if (topology.instances(component).isEmpty()) {
                problems.add("--node-port %s: the topology has no %s".formatted(component, component));
            }
        }
        options.storageSizes().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> {
                    if (!rendered(true).contains(entry.getKey())) {
                        problems.add("--storage-size %s: only %s keep data on volumes"
                                .formatted(entry.getKey(), either(rendered(true), " and ")));
                    } else if (!Quantities.isQuantity(entry.getValue())) {
                        problems.add("--storage-size %s=%s: '%s' is not a size; use a quantity such as 100Gi"
                                .formatted(entry.getKey(), entry.getValue(), entry.getValue()));
                    }
                });
        topology.componentVersions().entrySet().stream()
                .filter(entry -> isRendered(entry.getKey()))
                .filter(entry -> !IMAGE_TAG.matcher(entry.getValue()).matches())
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> problems.add("component_versions.%s '%s' cannot be an image tag"
                        .formatted(entry.getKey(), entry.getValue())));
    }

    private static boolean isSubdomain(String name) {
        return name.length() <= 253 && DNS_SUBDOMAIN.matcher(name).matches();
    }

    private void checkComponents(Topology topology, List<String> problems, List<String> notes) {
        Set<String> components = new LinkedHashSet<>();
        topology.instances().forEach(instance -> components.add(instance.component()));
        for (String component : components) {
            var schema = Schemas.byComponent(component).orElseThrow();
            if (isRendered(component)) {
                continue;
            }
            if (Schemas.isMonitoring(schema)) {
                continue;
            }
            problems.add(("%s: %s does not run on Kubernetes with Flotilla yet; remove it from the topology, or"
                            + " deploy the cluster to hosts with flotilla cluster deploy")
                    .formatted(schema.section(), component));
        }
        List<String> monitoring = components.stream()
                .filter(component ->
                        Schemas.isMonitoring(Schemas.byComponent(component).orElseThrow()))
                .toList();
        if (!monitoring.isEmpty()) {
            notes.add(("Monitoring is not rendered (%s): the exporters belong to a DaemonSet on every node, and"
                            + " Prometheus and Grafana to the cluster's own monitoring stack.")
                    .formatted(String.join(", ", monitoring)));
        }
        boolean any = components.stream().anyMatch(this::isRendered);
        if (!any) {
            problems.add("the topology has nothing to run on Kubernetes; declare %s"
                    .formatted(either(
                            catalog.kinds().stream()
                                    .filter(kind -> kind.kubernetes().isPresent())
                                    .map(ComponentKind::name)
                                    .toList(),
                            " or ")));
        }
        Set<String> missing = new LinkedHashSet<>();
        for (String component : components) {
            catalog.kind(component).kubernetes().ifPresent(pods -> missing.addAll(pods.missing(topology)));
        }
        problems.addAll(missing);
    }

    private void checkAutoscale(Topology topology, Map<String, Autoscale> autoscale, List<String> problems) {
        for (String component : topology.autoscale().keySet().stream().sorted().toList()) {
            var schema = Schemas.byComponent(component);
            if (schema.isEmpty()) {
                problems.add("autoscale.%s: there is no component '%s'; autoscale a stateless tier such as %s"
                        .formatted(component, component, rendered(false).getFirst()));
            } else if (schema.get().stateful()) {
                problems.add(("autoscale.%s: %s keeps data, and a HorizontalPodAutoscaler would add and remove its"
                                + " pods without moving the data; autoscale a stateless tier such as %s")
                        .formatted(component, component, rendered(false).getFirst()));
            } else if (!isRendered(component)) {
                problems.add("autoscale.%s: %s is not rendered for Kubernetes; autoscale %s"
                        .formatted(component, component, either(rendered(false), " or ")));
            } else if (topology.instances(component).isEmpty()) {
                problems.add("autoscale.%s: the topology has no %s to autoscale; declare %s"
                        .formatted(component, component, schema.get().section()));
            }
        }
    }

    /** The tiers with a workload, in the catalog's start order, with their layers renumbered from 0. */
    private List<Tier> tiers(Topology topology) {
        List<Tier> tiers = new ArrayList<>();
        int layer = 0;
        for (List<String> names : catalog.startLayers(topology)) {
            boolean placed = false;
            for (String name : names) {
                List<Instance> instances = catalog.instancesOf(topology, name);
                if (!isRendered(instances.getFirst().component())) {
                    continue;
                }
                tiers.add(new Tier(name, layer, catalog.kind(instances.getFirst()), instances));
                placed = true;
            }
            if (placed) {
                layer++;
            }
        }
        return tiers;
    }

    /** Kubernetes runs one pod template per tier; ports that differ are a host's business and are only noted. */
    private void checkSameAcrossTier(Tier tier, List<String> problems, List<String> notes) {
        Instance first = tier.first();
        for (Instance other : tier.instances().subList(1, tier.replicas())) {
            if (!other.config().equals(first.config())) {
                problems.add(("%s %s: its config differs from %s's, and Kubernetes runs every pod of the %s tier"
                                + " from one template; move the settings to server_configs.%s")
                        .formatted(other.component(), other.id(), first.id(), tier.name(), other.component()));
            }
        }
        boolean portsDiffer =
                tier.instances().stream().anyMatch(instance -> !instance.ports().equals(first.ports()));
        if (portsDiffer) {
            notes.add(("The %s instances declare different ports; every pod has its own address, so all use those"
                            + " of %s.")
                    .formatted(tier.name(), first.id()));
        }
    }

    /**
     * Limits from TiUP's {@code resource_control}, which Kubernetes also reserves (requests equal
     * limits); an autoscaled tier requests what its {@code autoscale} entry says instead.
     */
    private Optional<ResourceRequirements> resources(
            Topology topology, Tier tier, Map<String, Autoscale> autoscale, List<String> problems, List<String> notes) {
        Map<String, Object> control = resourceControl(topology, tier.first());
        for (Instance other : tier.instances()) {
            if (!resourceControl(topology, other).equals(control)) {
                problems.add(("%s %s: its resource_control differs from %s's, and Kubernetes runs every pod of the"
                                + " %s tier from one template; give them the same")
                        .formatted(other.component(), other.id(), tier.first().id(), tier.name()));
                return Optional.empty();
            }
        }
        Map<String, Quantity> limits = new LinkedHashMap<>();
        String where = "%s %s".formatted(tier.component(), tier.first().id());
        Object cpu = control.get("cpu_quota");
        if (cpu != null) {
            Quantities.cpu(cpu.toString())
                    .ifPresentOrElse(
                            quantity -> limits.put("cpu", new Quantity(quantity)),
                            () -> problems.add("%s: resource_control.cpu_quota '%s' is not a percentage such as 200%%"
                                    .formatted(where, cpu)));
        }
        Object memory = control.get("memory_limit");
        if (memory != null) {
            Quantities.memory(memory.toString())
                    .ifPresentOrElse(
                            quantity -> limits.put("memory", new Quantity(quantity)),
                            () -> problems.add(("%s: resource_control.memory_limit '%s' is not a size Kubernetes can"
                                            + " limit a pod to; give one such as 32G")
                                    .formatted(where, memory)));
        }
        List<String> ignored = control.keySet().stream()
                .filter(key -> !key.equals("cpu_quota") && !key.equals("memory_limit"))
                .sorted()
                .toList();
        if (!ignored.isEmpty()) {
            notes.add("resource_control %s of %s has no Kubernetes equivalent and is not rendered."
                    .formatted(String.join(", ", ignored), tier.name()));
        }
        Autoscale entry = autoscale.get(tier.component());
        Map<String, Quantity> requests = new LinkedHashMap<>();
        if (entry != null) {
            requests.put("cpu", new Quantity(entry.cpuRequest()));
            entry.memoryRequest().ifPresent(request -> requests.put("memory", new Quantity(request)));
        } else {
            requests.putAll(limits);
        }
        if (limits.isEmpty() && requests.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ResourceRequirementsBuilder()
                .withRequests(requests.isEmpty() ? null : requests)
                .withLimits(limits.isEmpty() ? null : limits)
                .build());
    }

    /** The instance's own {@code resource_control} (already over the global one), else the global one. */
    private static Map<String, Object> resourceControl(Topology topology, Instance instance) {
        Object own = instance.fields().get("resource_control");
        if (own instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((key, value) -> copy.put(String.valueOf(key), value));
            return copy;
        }
        return topology.global().resourceControl();
    }

    /** The components that run on Kubernetes and keep data on volumes (or not), in the catalog's order. */
    private List<String> rendered(boolean stateful) {
        return catalog.kinds().stream()
                .filter(kind -> kind.kubernetes().isPresent() && kind.schema().stateful() == stateful)
                .map(ComponentKind::name)
                .toList();
    }

    private boolean isRendered(String component) {
        return Schemas.byComponent(component).isPresent()
                && catalog.kind(component).kubernetes().isPresent();
    }

    /** {@code a, b and c}, or {@code a, b or c}. */
    private static String either(List<String> names, String last) {
        if (names.size() < 2) {
            return String.join("", names);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + last + names.getLast();
    }

    /** Root's password, then the keys the rendered tiers read. */
    private static List<String> secretKeys(List<Tier> tiers) {
        Set<String> keys = new LinkedHashSet<>(List.of(ROOT_PASSWORD_KEY));
        tiers.forEach(tier -> tier.kind().kubernetes().ifPresent(pods -> keys.addAll(pods.secretKeys())));
        return List.copyOf(keys);
    }

    private Secret secret(Names names, List<String> keys) {
        Map<String, String> data = new LinkedHashMap<>();
        keys.forEach(key -> data.put(key, password()));
        return new SecretBuilder()
                .withMetadata(names.meta(names.cluster() + "-root", "flotilla", "secrets", 0))
                .withType("Opaque")
                .withStringData(data)
                .build();
    }

    private String password() {
        String password = passwords.get();
        if (password == null || password.isEmpty()) {
            throw new IllegalStateException("the password supplier returned an empty password");
        }
        return password;
    }

    /**
     * The Job that sets root's password from the Secret once the SQL tier answers (see {@link
     * KubernetesPods.SqlEndpoint#setRootPassword}), run in the endpoint's client image.
     */
    private Job initRootJob(Topology topology, List<Tier> tiers, Names names, Workloads workloads, int layer) {
        KubernetesPods.SqlEndpoint endpoint = tiers.stream()
                .flatMap(tier -> tier.kind().kubernetes().stream())
                .flatMap(pods -> pods.sqlEndpoint(topology, workloads.addresses()).stream())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no rendered tier answers SQL"));
        String secret = names.options().secretName();
        String script = endpoint.setRootPassword(secret);
        return new JobBuilder()
                .withMetadata(names.meta(names.cluster() + "-init-root", "flotilla", "init-root", layer))
                .withNewSpec()
                .withBackoffLimit(3)
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(names.labels("flotilla", "init-root"))
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .addNewContainer()
                .withName("init-root")
                .withImage(endpoint.clientImage())
                .withImagePullPolicy("IfNotPresent")
                .withCommand("/bin/sh", "-c", script)
                .addNewEnv()
                .withName("ROOT_PASSWORD")
                .withNewValueFrom()
                .withNewSecretKeyRef()
                .withName(secret)
                .withKey(ROOT_PASSWORD_KEY)
                .endSecretKeyRef()
                .endValueFrom()
                .endEnv()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    private List<String> header(
            Topology topology,
            RenderOptions options,
            List<Tier> tiers,
            Map<String, Autoscale> autoscale,
            List<String> notes,
            List<String> secretKeys) {
        List<String> header = new ArrayList<>();
        header.add("Rendered by Flotilla from %s: cluster %s in namespace %s."
                .formatted(topology.source(), options.clusterName(), options.namespace()));
        header.add("Hosts in the topology are ignored on Kubernetes: every instance is a pod, and the scheduler"
                + " places it.");
        header.add("Objects come in start order; %s says which layer each belongs to. Wait for a layer to be"
                .formatted(START_LAYER_ANNOTATION));
        header.add("ready before applying the next: plain Kubernetes does not order them.");
        List<String> layers = new ArrayList<>();
        for (Tier tier : tiers) {
            while (layers.size() <= tier.layer()) {
                layers.add("");
            }
            layers.set(
                    tier.layer(),
                    layers.get(tier.layer()).isEmpty() ? tier.name() : layers.get(tier.layer()) + ", " + tier.name());
        }
        for (int layer = 0; layer < layers.size(); layer++) {
            header.add("  layer %d: %s".formatted(layer, layers.get(layer)));
        }
        header.add("  layer %d: the init Job that sets the root password".formatted(layers.size()));
        if (options.existingSecret().isEmpty()) {
            header.add(("Secret %s holds newly generated passwords: apply it once, and render again with"
                            + " --existing-secret %s.")
                    .formatted(options.secretName(), options.secretName()));
        } else {
            header.add("Passwords come from the existing Secret %s (keys %s)."
                    .formatted(options.secretName(), String.join(", ", secretKeys)));
        }
        autoscale
                .values()
                .forEach(entry -> header.add(("%s is autoscaled between %d and %d pods; its Deployment"
                                + " leaves the replica count to the HorizontalPodAutoscaler.")
                        .formatted(entry.component(), entry.minReplicas(), entry.maxReplicas())));
        header.addAll(notes);
        return header;
    }
}
