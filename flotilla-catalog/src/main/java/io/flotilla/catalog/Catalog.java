package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import io.flotilla.topology.Topology;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every component kind Flotilla knows, by component name, and the start order of a topology
 * derived from the kinds' dependencies.
 */
public final class Catalog {
    private final Map<String, ComponentKind> kinds;

    private Catalog(Collection<ComponentKind> kinds) {
        Map<String, ComponentKind> byName = new LinkedHashMap<>();
        kinds.forEach(kind -> byName.put(kind.name(), kind));
        this.kinds = Collections.unmodifiableMap(byName);
    }

    public static Catalog standard() {
        List<ComponentKind> kinds = new ArrayList<>(TidbFamily.kinds());
        kinds.addAll(List.of(new MariaDbKind(), new HaproxyKind(), new EtcdKind(), new PrometheusKind()));
        kinds.addAll(ServiceKinds.standard());
        Catalog catalog = new Catalog(kinds);
        for (var schema : Schemas.sections()) {
            catalog.kind(schema.component());
        }
        return catalog;
    }

    /** Every kind, in the catalog's order: the TiDB family, then the rest. */
    public Collection<ComponentKind> kinds() {
        return kinds.values();
    }

    public ComponentKind kind(String component) {
        ComponentKind kind = kinds.get(component);
        if (kind == null) {
            throw new IllegalArgumentException("the catalog has no component '%s'".formatted(component));
        }
        return kind;
    }

    public ComponentKind kind(Instance instance) {
        return kind(instance.component());
    }

    public String tier(Instance instance) {
        return kind(instance).tier(instance);
    }

    /**
     * The tiers of a topology in layers: every tier of a layer depends only on tiers of earlier
     * layers, so the tiers of one layer may start side by side. Stop order is the reverse.
     */
    public List<List<String>> startLayers(Topology topology) {
        requireNonNull(topology, "topology is null");
        Map<String, Set<String>> dependencies = new LinkedHashMap<>();
        for (Instance instance : topology.instances()) {
            String tier = tier(instance);
            dependencies.computeIfAbsent(
                    tier, ignored -> new LinkedHashSet<>(kind(instance).dependencies(tier)));
        }
        dependencies.values().forEach(needed -> needed.retainAll(dependencies.keySet()));
        List<List<String>> layers = new ArrayList<>();
        Set<String> placed = new LinkedHashSet<>();
        while (placed.size() < dependencies.size()) {
            List<String> layer = dependencies.entrySet().stream()
                    .filter(entry -> !placed.contains(entry.getKey()))
                    .filter(entry -> placed.containsAll(entry.getValue()))
                    .map(Map.Entry::getKey)
                    .toList();
            if (layer.isEmpty()) {
                throw new IllegalStateException("the catalog's start dependencies form a cycle among %s"
                        .formatted(dependencies.keySet().stream()
                                .filter(tier -> !placed.contains(tier))
                                .toList()));
            }
            layers.add(layer);
            placed.addAll(layer);
        }
        return List.copyOf(layers);
    }

    /** The instances of a tier, in topology order. */
    public List<Instance> instancesOf(Topology topology, String tier) {
        return topology.instances().stream()
                .filter(instance -> tier(instance).equals(tier))
                .toList();
    }

    /** The instances of {@code topology} whose component replicates from a primary, in topology order. */
    public List<Instance> replicated(Topology topology) {
        return topology.instances().stream()
                .filter(instance -> kind(instance).replication().isPresent())
                .toList();
    }

    /** Whether the instance is the primary its component's replicas replicate from. */
    public boolean isPrimary(Instance instance) {
        return kind(instance)
                .replication()
                .map(replication -> replication.isPrimary(instance))
                .orElse(false);
    }

    /** Whether the instance replicates from its component's primary. */
    public boolean isReplica(Instance instance) {
        return kind(instance)
                .replication()
                .map(replication -> !replication.isPrimary(instance))
                .orElse(false);
    }

    /**
     * How messages name the replicated component: the topology's, or the catalog's first when the
     * topology has none ("the MariaDB primary").
     */
    public String replicatedName(Topology topology) {
        return topology.instances().stream()
                .map(this::kind)
                .flatMap(kind -> kind.replication().stream())
                .findFirst()
                .or(() -> kinds().stream()
                        .flatMap(kind -> kind.replication().stream())
                        .findFirst())
                .map(Replication::displayName)
                .orElse("replicated");
    }

    /** The primary of the cluster's replicated component, when it has one. */
    public Optional<Instance> primary(Topology topology) {
        return replicated(topology).stream().filter(this::isPrimary).findFirst();
    }

    /** How clients reach the cluster: every kind's {@link ComponentKind#endpoints}, in {@link Endpoints}' order. */
    public Map<String, String> endpoints(Topology topology) {
        Map<String, String> offered = new LinkedHashMap<>();
        Set<String> components = new LinkedHashSet<>();
        topology.instances().forEach(instance -> components.add(instance.component()));
        components.forEach(component -> offered.putAll(kind(component).endpoints(topology)));
        Map<String, String> ordered = new LinkedHashMap<>();
        Endpoints.ORDER.stream().filter(offered::containsKey).forEach(key -> ordered.put(key, offered.get(key)));
        offered.forEach(ordered::putIfAbsent);
        return ordered;
    }
}
