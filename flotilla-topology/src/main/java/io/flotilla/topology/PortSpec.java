package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

/** One port field of a topology section, such as {@code client_port} with default 2379. */
public record PortSpec(String field, int defaultPort) {
    public PortSpec {
        requireNonNull(field, "field is null");
        if (defaultPort < 1 || defaultPort > 65535) {
            throw new IllegalArgumentException("default port %d of %s is out of range".formatted(defaultPort, field));
        }
    }
}
