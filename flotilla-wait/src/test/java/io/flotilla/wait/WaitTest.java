package io.flotilla.wait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WaitTest {
    private static final Duration SHORT = Duration.ofMillis(5);

    @Test
    void answersAsSoonAsTheAttemptDoes() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        Optional<String> answer = Wait.poll(
                Duration.ofSeconds(10),
                SHORT,
                () -> attempts.incrementAndGet() == 3 ? Optional.of("third") : Optional.empty());
        assertThat(answer).contains("third");
        assertThat(attempts).hasValue(3);
    }

    @Test
    void answersEmptyAfterTheTimeoutHavingCheckedAtTheEnd() throws Exception {
        List<Long> times = new ArrayList<>();
        long start = System.nanoTime();
        Optional<Object> answer = Wait.poll(Duration.ofMillis(100), Duration.ofMillis(30), () -> {
            times.add(System.nanoTime() - start);
            return Optional.empty();
        });
        assertThat(answer).isEmpty();
        assertThat(times.getLast())
                .isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(times).hasSizeBetween(4, 6);
    }

    @Test
    void aZeroTimeoutStillAsksOnce() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        assertThat(Wait.until(Duration.ZERO, SHORT, () -> attempts.incrementAndGet() > 1))
                .isFalse();
        assertThat(attempts).hasValue(1);
    }

    @Test
    void pausesDoubleUpToTheLimit() throws Exception {
        List<Long> times = new ArrayList<>();
        long start = System.nanoTime();
        Wait.poll(Duration.ofMillis(400), Duration.ofMillis(10), Duration.ofMillis(80), () -> {
            times.add((System.nanoTime() - start) / 1_000_000);
            return Optional.empty();
        });
        // Pauses of 10, 20, 40, 80, 80, ... ms: far fewer attempts than a fixed 10 ms pause would make.
        assertThat(times).hasSizeBetween(7, 10);
        assertThat(times.get(4) - times.get(3)).isGreaterThanOrEqualTo(80);
    }

    @Test
    void anExceptionEndsTheWait() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> Wait.until(Duration.ofSeconds(10), SHORT, () -> {
                    if (attempts.incrementAndGet() == 2) {
                        throw new IOException("the host went away");
                    }
                    return false;
                }))
                .isInstanceOf(IOException.class)
                .hasMessage("the host went away");
        assertThat(attempts).hasValue(2);
    }

    @Test
    void anInterruptEndsTheWait() {
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> Wait.until(Duration.ofSeconds(10), Duration.ofSeconds(1), () -> false))
                .isInstanceOf(InterruptedException.class);
    }

    @Test
    void refusesANonPositivePause() {
        assertThatThrownBy(() -> Wait.until(Duration.ofSeconds(1), Duration.ZERO, () -> true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("firstPause must be positive, not PT0S");
    }
}
