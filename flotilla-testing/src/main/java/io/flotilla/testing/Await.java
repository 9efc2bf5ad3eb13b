package io.flotilla.testing;

import io.flotilla.wait.Wait;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** How the test hosts wait: as {@link Wait#until}, with an interrupt turned into a {@link TestHostsException}. */
final class Await {
    private Await() {}

    /**
     * Checks {@code condition} every {@code interval} until it holds; false when {@code timeout} passed
     * first. An interrupt ends the wait with an exception saying it came while {@code doing}.
     */
    static boolean until(
            Duration timeout, Duration interval, String doing, Wait.Condition<RuntimeException> condition) {
        try {
            return Wait.until(timeout, interval, condition);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestHostsException("interrupted while " + doing, e);
        }
    }

    /**
     * Tries {@code attempt} every {@code interval} until it goes through without an {@link IOException};
     * the last one it threw when {@code timeout} passed first.
     */
    static Optional<IOException> untilNoIoError(Duration timeout, Duration interval, String doing, IoAttempt attempt) {
        AtomicReference<IOException> last = new AtomicReference<>();
        boolean done = until(timeout, interval, doing, () -> {
            try {
                attempt.run();
                return true;
            } catch (IOException e) {
                last.set(e);
                return false;
            }
        });
        return done ? Optional.empty() : Optional.of(last.get());
    }

    /** One try at something that fails for now with an {@link IOException}. */
    @FunctionalInterface
    interface IoAttempt {
        void run() throws IOException;
    }
}
