package io.flotilla.testing;

import io.flotilla.wait.Wait;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** Waits for something that happens in another process or thread, by asking again until it holds. */
public final class Eventually {
    private static final Duration FIRST_PAUSE = Duration.ofMillis(10);
    private static final Duration MAX_PAUSE = Duration.ofMillis(200);

    private Eventually() {}

    /** An assertion that may throw anything. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Throwable;
    }

    /** Runs {@code assertion} until it passes; after {@code timeout}, fails with its last failure. */
    public static void assertEventually(Duration timeout, ThrowingRunnable assertion) {
        AtomicReference<Throwable> lastFailure = new AtomicReference<>();
        Optional<Boolean> passed;
        try {
            passed = Wait.poll(timeout, FIRST_PAUSE, MAX_PAUSE, () -> {
                try {
                    assertion.run();
                    return Optional.of(Boolean.TRUE);
                } catch (Throwable failure) {
                    lastFailure.set(failure);
                    return Optional.empty();
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
        if (passed.isEmpty()) {
            Throwable failure = lastFailure.get();
            throw new AssertionError(
                    "still failing after %d ms: %s".formatted(timeout.toMillis(), failure.getMessage()), failure);
        }
    }
}
