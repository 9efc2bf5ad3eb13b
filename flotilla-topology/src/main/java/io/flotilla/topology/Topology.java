package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed and validated topology: TiUP's sections read as they are, plus Flotilla's own, with
 * defaults filled in. Instances of the monitored exporters are included, one per host.
 *
 * @param source the file the topology was read from, as positions name it
 * @param serverConfigs {@code server_configs} per component, flattened to dotted keys
 * @param instances the declared instances in file order, then the exporters host by host
 * @param admissionProblems for a cluster's stored topology, what the rules added since it was stored
 *     would refuse in it as new input; empty otherwise
 */
public record Topology(
        String source,
        GlobalOptions global,
        MonitoredOptions monitored,
        Map<String, Map<String, Object>> serverConfigs,
        Map<String, String> componentVersions,
        Map<String, Object> componentSources,
        Map<String, Object> autoscale,
        HaOptions ha,
        List<Instance> instances,
        List<Problem> admissionProblems) {
    public Topology {
        requireNonNull(source, "source is null");
        requireNonNull(global, "global is null");
        requireNonNull(monitored, "monitored is null");
        serverConfigs = Map.copyOf(serverConfigs);
        componentVersions = Map.copyOf(componentVersions);
        componentSources = Map.copyOf(componentSources);
        autoscale = Map.copyOf(autoscale);
        requireNonNull(ha, "ha is null");
        instances = List.copyOf(instances);
        admissionProblems = List.copyOf(admissionProblems);
    }

    /** Where a component's binaries come from; {@code system} when {@code component_sources} does not say. */
    public ComponentSource componentSource(String component) {
        Object raw = componentSources.get(component);
        return raw == null ? new ComponentSource.System("") : ComponentSource.of(component, raw);
    }

    public List<Instance> instances(String component) {
        return instances.stream()
                .filter(instance -> instance.component().equals(component))
                .toList();
    }

    /**
     * A MariaDB instance's {@code server_id}: its {@code server_id} field, else its place among the
     * topology's instances of its component, counted from 1.
     */
    public long serverId(Instance instance) {
        Optional<String> explicit = instance.field("server_id");
        if (explicit.isPresent()) {
            return Long.parseLong(explicit.get());
        }
        List<Instance> same = instances.stream()
                .filter(other -> other.component().equals(instance.component()))
                .toList();
        return same.indexOf(instance) + 1L;
    }

    public Optional<Instance> instance(String id) {
        return instances.stream().filter(instance -> instance.id().equals(id)).findFirst();
    }

    /** Hosts in the order they first appear. */
    public Set<String> hosts() {
        Set<String> hosts = new LinkedHashSet<>();
        instances.forEach(instance -> hosts.add(instance.host()));
        return hosts;
    }
}
