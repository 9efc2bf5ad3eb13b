package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How the supervisor restarts a process that exited on its own: after a backoff that starts at
 * {@code initialBackoff} and doubles up to {@code maxBackoff}; it gives up (state FAILED) after
 * {@code maxQuickExits} exits in a row of processes that each ran less than {@code quickExit}.
 * The backoff starts over once a process has run for {@code backoffResetAfter}.
 */
public record RestartPolicy(
        Duration initialBackoff,
        Duration maxBackoff,
        Duration quickExit,
        int maxQuickExits,
        Duration backoffResetAfter) {
    /** 1 s doubling to 30 s; FAILED after 5 exits in a row that each came within 10 s of the start. */
    public static final RestartPolicy DEFAULT = new RestartPolicy(
            Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(10), 5, Duration.ofMinutes(1));

    public RestartPolicy {
        requireNonNull(initialBackoff, "initialBackoff is null");
        requireNonNull(maxBackoff, "maxBackoff is null");
        requireNonNull(quickExit, "quickExit is null");
        requireNonNull(backoffResetAfter, "backoffResetAfter is null");
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("initialBackoff must be positive");
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff is shorter than initialBackoff");
        }
        if (maxQuickExits < 1) {
            throw new IllegalArgumentException("maxQuickExits must be at least 1");
        }
    }

    /** The wait before restart number {@code exitsInARow} (1 for the first exit). */
    public Duration backoff(int exitsInARow) {
        Duration delay = initialBackoff;
        for (int i = 1; i < exitsInARow && delay.compareTo(maxBackoff) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay;
    }
}
