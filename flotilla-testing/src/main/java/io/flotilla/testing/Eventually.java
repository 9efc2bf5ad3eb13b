package io.flotilla.testing;

import java.time.Duration;

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
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration pause = FIRST_PAUSE;
        while (true) {
            try {
                assertion.run();
                return;
            } catch (Throwable failure) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError(
                            "still failing after %d ms: %s".formatted(timeout.toMillis(), failure.getMessage()),
                            failure);
                }
            }
            // A poll interval, not a synchronisation: the assertion is asked again.
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", e);
            }
            pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
        }
    }
}
