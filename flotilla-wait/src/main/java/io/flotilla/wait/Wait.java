package io.flotilla.wait;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * How Flotilla waits for something to happen, in one place: an attempt made at once and then again
 * after a pause, until it answers or the timeout passed. The pause may grow (doubling up to a
 * limit) for what should not be asked too often. The caller says what a timeout means, in its own
 * words: {@link #poll} answers empty, and the last attempt always runs at or after the deadline, so
 * a wait never gives up on a condition it did not check at the end.
 */
public final class Wait {
    private Wait() {}

    /** One try: the answer once there is one, or empty to be asked again; an exception ends the wait. */
    @FunctionalInterface
    public interface Attempt<T, E extends Exception> {
        Optional<T> attempt() throws E;
    }

    /** One check of a condition; an exception ends the wait. */
    @FunctionalInterface
    public interface Condition<E extends Exception> {
        boolean holds() throws E;
    }

    /** Asks {@code attempt} every {@code interval} until it answers; empty when {@code timeout} passed first. */
    public static <T, E extends Exception> Optional<T> poll(Duration timeout, Duration interval, Attempt<T, E> attempt)
            throws E, InterruptedException {
        return poll(timeout, interval, interval, attempt);
    }

    /**
     * Asks {@code attempt} until it answers, pausing {@code firstPause} after the first try and twice as
     * long after each next one, up to {@code maxPause}; empty when {@code timeout} passed first.
     */
    public static <T, E extends Exception> Optional<T> poll(
            Duration timeout, Duration firstPause, Duration maxPause, Attempt<T, E> attempt)
            throws E, InterruptedException {
        requireNonNull(attempt, "attempt is null");
        requirePositive(firstPause, "firstPause");
        requirePositive(maxPause, "maxPause");
        long deadline =
                System.nanoTime() + requireNonNull(timeout, "timeout is null").toNanos();
        long pause = firstPause.toNanos();
        while (true) {
            Optional<T> answer = attempt.attempt();
            if (answer.isPresent()) {
                return answer;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return Optional.empty();
            }
            sleep(Math.min(pause, remaining));
            pause = Math.min(pause * 2, maxPause.toNanos());
        }
    }

    /** Checks {@code condition} every {@code interval} until it holds; false when {@code timeout} passed first. */
    public static <E extends Exception> boolean until(Duration timeout, Duration interval, Condition<E> condition)
            throws E, InterruptedException {
        requireNonNull(condition, "condition is null");
        return poll(timeout, interval, () -> condition.holds() ? Optional.of(Boolean.TRUE) : Optional.empty())
                .isPresent();
    }

    private static void sleep(long nanos) throws InterruptedException {
        Thread.sleep(Duration.ofNanos(nanos));
    }

    private static void requirePositive(Duration duration, String name) {
        requireNonNull(duration, name + " is null");
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("%s must be positive, not %s".formatted(name, duration));
        }
    }
}
