package io.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.OperationName;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineTest {
    @TempDir
    Path dir;

    @Test
    void serialStopsAtTheFirstFailure() {
        List<String> ran = new CopyOnWriteArrayList<>();
        Plan plan = Plan.builder(OperationName.START, "c")
                .then(Step.serial(
                        "all",
                        List.of(
                                Step.action("a", "a", "h", () -> ran.add("a")),
                                Step.action("b", "b", "h", () -> {
                                    throw new OperationException(ErrorCode.PREFLIGHT, "b is broken");
                                }),
                                Step.action("c", "c", "h", () -> ran.add("c")))))
                .build();
        assertThatThrownBy(() -> run(plan))
                .isInstanceOf(StepFailedException.class)
                .hasMessage("b failed: b is broken")
                .extracting(error -> ((OperationException) error).code())
                .isEqualTo(ErrorCode.PREFLIGHT);
        assertThat(ran).containsExactly("a");
    }

    @Test
    void parallelFailureCancelsTheSiblings() {
        CountDownLatch siblingStarted = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger();
        Plan plan = Plan.builder(OperationName.START, "c")
                .then(Step.parallel(
                        "both",
                        List.of(
                                Step.action("slow", "slow", "h", () -> {
                                    siblingStarted.countDown();
                                    try {
                                        new CountDownLatch(1).await(30, TimeUnit.SECONDS);
                                    } catch (InterruptedException e) {
                                        interrupted.incrementAndGet();
                                        throw e;
                                    }
                                }),
                                Step.action("fails", "fails", "h", () -> {
                                    siblingStarted.await();
                                    throw new IllegalStateException("boom");
                                }))))
                .build();
        long started = System.nanoTime();
        assertThatThrownBy(() -> run(plan)).hasMessage("fails failed: boom");
        assertThat(interrupted.get()).isEqualTo(1);
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(10);
    }

    @Test
    void concurrencyIsBounded() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        List<Step> steps = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            steps.add(Step.action("s" + i, "s" + i, "h", () -> {
                peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    // Each action lasts a moment so that actions overlap; nothing waits on another.
                    Thread.sleep(5);
                } finally {
                    running.decrementAndGet();
                }
            }));
        }
        Plan plan = Plan.builder(OperationName.START, "c")
                .then(Step.parallel("many", steps))
                .build();
        new Engine(3, ProgressListener.SILENT).run(plan, journal(plan));
        assertThat(peak.get()).isBetween(1, 3);
    }

    @Test
    void aRerunOfAnUnfinishedPlanSkipsWhatWasDone() {
        List<String> ran = new CopyOnWriteArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        Plan plan = Plan.builder(OperationName.DEPLOY, "c")
                .then(Step.action("one", "one", "h", () -> ran.add("one")))
                .then(Step.action("two", "two", "h", () -> {
                    if (attempts.incrementAndGet() == 1) {
                        throw new IllegalStateException("first time fails");
                    }
                    ran.add("two");
                }))
                .build();
        assertThatThrownBy(() -> run(plan)).hasMessage("two failed: first time fails");
        List<String> skipped = new CopyOnWriteArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void actionSkipped(Step.Action action, int done, int total) {
                skipped.add(action.id());
            }
        };
        Journal journal = journal(plan);
        assertThat(journal.resumed()).isTrue();
        assertThat(journal.resumedSteps()).isEqualTo(1);
        new Engine(2, listener).run(plan, journal);
        journal.end(true, null);
        journal.close();
        assertThat(ran).containsExactly("one", "two");
        assertThat(skipped).containsExactly("one");
        Journal next = journal(plan);
        assertThat(next.resumed()).as("a finished plan is not resumed").isFalse();
        next.close();
    }

    private void run(Plan plan) {
        Journal journal = journal(plan);
        try {
            new Engine(4, ProgressListener.SILENT).run(plan, journal);
            journal.end(true, null);
        } catch (RuntimeException e) {
            journal.end(false, e.getMessage());
            throw e;
        } finally {
            journal.close();
        }
    }

    private Journal journal(Plan plan) {
        return Journal.open(dir, Operation.newId(), plan.operation().label(), plan.fingerprint(), "test");
    }
}
