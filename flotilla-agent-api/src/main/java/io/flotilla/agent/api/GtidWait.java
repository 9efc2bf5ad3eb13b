package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/** Waits until an instance has applied a GTID position ({@code 0-1-42,1-3-7}), for at most {@code timeoutSeconds}. */
public record GtidWait(String gtid, int timeoutSeconds) {
    public static final int MAX_TIMEOUT_SECONDS = 3600;

    public GtidWait {
        requireNonNull(gtid, "gtid is null");
        SqlNames.requireGtid(gtid, "gtid");
        if (gtid.isEmpty()) {
            throw new IllegalArgumentException("gtid is empty: name the position to wait for");
        }
        if (timeoutSeconds < 0 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException(
                    "timeoutSeconds %d is outside 0..%d".formatted(timeoutSeconds, MAX_TIMEOUT_SECONDS));
        }
    }
}
