package io.flotilla.testing;

import io.flotilla.wait.Wait;
import java.time.Duration;

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
}
