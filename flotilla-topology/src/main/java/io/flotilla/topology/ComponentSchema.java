package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Set;

/**
 * How one component appears in a topology file: its section, its port fields (the first is the
 * main port, which names the instance), whether it keeps data, and the extra fields it accepts.
 *
 * @param component the component name, also the key under {@code server_configs} ({@code pd}, {@code mariadb})
 * @param section the topology list that declares its instances ({@code pd_servers})
 * @param dirRole the prefix of its default directories, {@code <dirRole>-<main port>}
 * @param ports the port fields, main port first
 * @param stateful whether instances have a {@code data_dir}
 * @param extraFields section-specific fields beyond the common ones ({@code name} for pd)
 * @param unauthenticated whether it answers anyone who reaches it (an exporter's metrics, Prometheus's
 *     API): without a {@code listen_host} it listens on the address the topology names its host by,
 *     the one its peers reach it at, rather than on every address of the host
 */
public record ComponentSchema(
        String component,
        String section,
        String dirRole,
        List<PortSpec> ports,
        boolean stateful,
        Set<String> extraFields,
        boolean unauthenticated) {
    public ComponentSchema {
        requireNonNull(component, "component is null");
        requireNonNull(section, "section is null");
        requireNonNull(dirRole, "dirRole is null");
        ports = List.copyOf(ports);
        extraFields = Set.copyOf(extraFields);
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("component %s has no port".formatted(component));
        }
    }

    public PortSpec mainPort() {
        return ports.getFirst();
    }
}
