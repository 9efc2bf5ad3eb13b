package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

/**
 * The secrets generated for one cluster at deploy. Never printed unless the operator asks
 * ({@code flotilla cluster password}); {@link #toString()} hides them.
 */
public record ClusterSecrets(String rootPassword, String replicationPassword, String agentToken) {
    public ClusterSecrets {
        requireNonEmpty(rootPassword, "rootPassword");
        requireNonEmpty(replicationPassword, "replicationPassword");
        requireNonEmpty(agentToken, "agentToken");
    }

    private static void requireNonEmpty(String secret, String name) {
        requireNonNull(secret, name + " is null");
        if (secret.isBlank()) {
            throw new IllegalArgumentException(name + " is empty");
        }
    }

    @Override
    public String toString() {
        return "ClusterSecrets[hidden]";
    }
}
