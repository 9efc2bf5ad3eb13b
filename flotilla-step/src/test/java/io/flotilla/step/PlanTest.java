package io.flotilla.step;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlanTest {
    private static Plan plan(String... ids) {
        return Plan.builder(OperationName.START, "c1")
                .then(Step.parallel(
                        "Start tier",
                        List.of(ids).stream()
                                .map(id -> Step.action(id, "launch " + id, "h", () -> {}))
                                .toList()))
                .build();
    }

    @Test
    void aDryRunShowsTheTreeOfSteps() {
        assertThat(plan("a", "b").render()).isEqualTo("""
                start c1: 2 steps
                  Start tier (in parallel)
                    - launch a
                    - launch b
                """);
    }

    @Test
    void theFingerprintNamesTheSameWork() {
        assertThat(plan("a", "b").fingerprint()).isEqualTo(plan("a", "b").fingerprint());
        assertThat(plan("a", "b").fingerprint()).isNotEqualTo(plan("a", "c").fingerprint());
    }

    @Test
    void actionIdsAreUnique() {
        assertThatThrownBy(() -> plan("a", "a")).hasMessage("plan start has two actions with id a");
    }
}
