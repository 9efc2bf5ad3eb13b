package io.flotilla.k8s;

import static java.util.Objects.requireNonNull;

import io.flotilla.catalog.ComponentKind;
import io.flotilla.topology.Instance;
import java.util.List;

/**
 * One start tier of the topology as Kubernetes runs it: one workload whose pods are the tier's
 * instances, all from one pod template.
 *
 * @param name the catalog's tier name ({@code pd}, {@code mariadb-replica})
 * @param layer the index of the start layer the tier belongs to
 * @param instances the tier's instances in topology order; the first one's ports and config speak for all
 */
record Tier(String name, int layer, ComponentKind kind, List<Instance> instances) {
    Tier {
        requireNonNull(name, "name is null");
        requireNonNull(kind, "kind is null");
        instances = List.copyOf(instances);
        if (instances.isEmpty()) {
            throw new IllegalArgumentException("tier %s has no instance".formatted(name));
        }
    }

    String component() {
        return kind.name();
    }

    Instance first() {
        return instances.getFirst();
    }

    int replicas() {
        return instances.size();
    }

    int port(String field) {
        return first().port(field);
    }
}
