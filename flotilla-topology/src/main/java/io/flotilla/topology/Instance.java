package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One instance of a component on one host, with every default filled in and every directory
 * resolved to an absolute path.
 *
 * @param ports port field to port number, in the schema's order (main port first)
 * @param dataDir the data directory, or {@code null} for a stateless component; TiFlash may list
 *     several, separated by commas (see {@link #dataDirs()})
 * @param config {@code server_configs.<component>} overlaid with the instance's {@code config},
 *     flattened to dotted keys
 * @param fields every other field: the section-specific ones that were set ({@code role},
 *     {@code name}, ...), the common optional ones that were set ({@code numa_node},
 *     {@code resource_control} merged over the global one, {@code ignore_exporter}, ...), and
 *     always {@code arch} and {@code os} (from {@code global} unless set), {@code name} for
 *     components that have one and {@code role} for MariaDB
 * @param position where the instance is declared; for an exporter, the first instance on its host
 */
public record Instance(
        ComponentSchema schema,
        String host,
        int sshPort,
        String listenHost,
        Map<String, Integer> ports,
        String deployDir,
        String dataDir,
        String logDir,
        Map<String, Object> config,
        Map<String, Object> fields,
        SourcePosition position) {
    public Instance {
        requireNonNull(schema, "schema is null");
        requireNonNull(host, "host is null");
        requireNonNull(listenHost, "listenHost is null");
        ports = Collections.unmodifiableMap(new LinkedHashMap<>(ports));
        requireNonNull(deployDir, "deployDir is null");
        requireNonNull(logDir, "logDir is null");
        config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        requireNonNull(position, "position is null");
    }

    /** {@code host:<main port>}, the instance's name everywhere; an IPv6 host is bracketed, as TiUP does. */
    public String id() {
        return HostPort.of(host, mainPort());
    }

    /** {@code host:<port>} of one of its ports, where other hosts reach it; an IPv6 host is bracketed. */
    public String address(String portField) {
        return HostPort.of(host, port(portField));
    }

    public String component() {
        return schema.component();
    }

    public int mainPort() {
        return port(schema.mainPort().field());
    }

    public int port(String field) {
        Integer port = ports.get(field);
        if (port == null) {
            throw new IllegalArgumentException("%s has no port %s".formatted(id(), field));
        }
        return port;
    }

    public Optional<String> field(String name) {
        return Optional.ofNullable(fields.get(name)).map(Object::toString);
    }

    /** Every data directory, in the order written; empty for a stateless component. */
    public List<String> dataDirs() {
        return dataDir == null ? List.of() : List.of(dataDir.split(","));
    }

    /** The CPU architecture of the host, {@code amd64} unless the topology says otherwise. */
    public String arch() {
        return field("arch").orElse("amd64");
    }

    /** The operating system of the host, {@code linux} unless the topology says otherwise. */
    public String os() {
        return field("os").orElse("linux");
    }
}
