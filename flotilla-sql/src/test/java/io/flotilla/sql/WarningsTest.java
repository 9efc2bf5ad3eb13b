package io.flotilla.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class WarningsTest {
    @Test
    void warningsAddedFromManyThreadsAreAllKeptUntilCleared() throws Exception {
        Warnings warnings = new Warnings();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            IntStream.range(0, 200).forEach(i -> pool.submit(() -> warnings.warn("node " + i + " did not answer")));
        }
        assertThat(warnings.count()).isEqualTo(200);
        assertThat(warnings.list()).allSatisfy(w -> {
            assertThat(w.level()).isEqualTo("Warning");
            assertThat(w.code()).isEqualTo(Warning.ER_UNKNOWN_ERROR);
        });
        warnings.clear();
        assertThat(warnings.list()).isEmpty();
    }
}
