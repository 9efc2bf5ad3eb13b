package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One instance of a component on one host, with every default filled in and every directory
 * resolved to an absolute path.
 *
 * @param ports port field to port number, in the schema's order (main port first)
 * @param dataDir the data directory, or {@code null} for a stateless component
 * @param config {@code server_configs.<component>} overlaid with the instance's {@code config},
 *     flattened to dotted keys
 * @param fields the section-specific fields that were set ({@code role}, {@code name}, ...)
 * @param position where the instance is declared
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
        ports = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(ports));
        requireNonNull(deployDir, "deployDir is null");
        requireNonNull(logDir, "logDir is null");
        config = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(config));
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        requireNonNull(position, "position is null");
    }

    /** {@code host:<main port>}, the instance's name everywhere. */
    public String id() {
        return host + ":" + mainPort();
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
}
