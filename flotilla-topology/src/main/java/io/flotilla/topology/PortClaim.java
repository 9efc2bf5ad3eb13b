package io.flotilla.topology;

import java.util.List;

/** One port field of an instance. */
record PortClaim(Instance instance, String field, int port) implements Claim {
    static List<PortClaim> of(Instance instance) {
        return instance.ports().entrySet().stream()
                .map(entry -> new PortClaim(instance, entry.getKey(), entry.getValue()))
                .toList();
    }

    @Override
    public String label() {
        return label(field);
    }

    /** The same host and port: the lookup key of conflict checks. */
    String key() {
        return instance.host() + ":" + port;
    }
}
