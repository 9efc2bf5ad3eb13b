package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * Fences a primary: {@code read_only}, every client session killed but those of {@code keepUser}
 * (replication's own), and a global read lock held by the agent for at most {@code holdSeconds},
 * after which the agent lets it go by itself, so that a caller that died cannot keep it forever.
 */
public record FenceRequest(int holdSeconds, String keepUser) {
    public static final int MAX_HOLD_SECONDS = 3600;

    public FenceRequest {
        if (holdSeconds < 1 || holdSeconds > MAX_HOLD_SECONDS) {
            throw new IllegalArgumentException(
                    "holdSeconds %d is outside 1..%d".formatted(holdSeconds, MAX_HOLD_SECONDS));
        }
        requireNonNull(keepUser, "keepUser is null");
        SqlNames.requireUser(keepUser, "keepUser");
    }
}
