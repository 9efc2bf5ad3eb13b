package io.flotilla.engine;

import static java.util.Objects.requireNonNull;

import io.flotilla.step.ErrorCode;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a plan: serial groups in order, parallel groups side by side on virtual threads with at
 * most {@code concurrency} actions at once across the whole plan, the first failure cancelling
 * the rest. Every action's state goes to the journal, and actions the journal already holds as
 * done are skipped, which is how a re-run after a crash finishes the job.
 */
public final class Engine {
    private final int concurrency;
    private final ProgressListener listener;

    public Engine(int concurrency, ProgressListener listener) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        this.concurrency = concurrency;
        this.listener = requireNonNull(listener, "listener is null");
    }

    public void run(Plan plan, Journal journal) {
        Run run = new Run(journal, new Semaphore(concurrency), plan.actions().size());
        try {
            for (Step step : plan.steps()) {
                run.step(step, 0);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.flotilla.step.OperationException(
                    ErrorCode.INTERRUPTED, "the operation was interrupted; run the same command again to finish it", e);
        }
    }

    private final class Run {
        private final Journal journal;
        private final Semaphore permits;
        private final int total;
        private final AtomicInteger finished = new AtomicInteger();

        Run(Journal journal, Semaphore permits, int total) {
            this.journal = journal;
            this.permits = permits;
            this.total = total;
        }

        void step(Step step, int depth) throws InterruptedException {
            switch (step) {
                case Step.Action action -> action(action);
                case Step.Serial serial -> {
                    listener.groupStarted(serial.title(), countActions(serial), depth);
                    for (Step each : serial.steps()) {
                        step(each, depth + 1);
                    }
                }
                case Step.Parallel parallel -> parallel(parallel, depth);
            }
        }

        private void parallel(Step.Parallel parallel, int depth) throws InterruptedException {
            listener.groupStarted(parallel.title(), countActions(parallel), depth);
            if (parallel.steps().size() == 1) {
                step(parallel.steps().getFirst(), depth + 1);
                return;
            }
            try (ExecutorService threads = Executors.newThreadPerTaskExecutor(
                    Thread.ofVirtual().name("step-", 0).factory())) {
                // Results are taken in the order they finish, so the first failure cancels the rest at once.
                CompletionService<Void> completions = new ExecutorCompletionService<>(threads);
                List<Future<Void>> futures = new ArrayList<>();
                for (Step child : parallel.steps()) {
                    futures.add(completions.submit(() -> {
                        step(child, depth + 1);
                        return null;
                    }));
                }
                Throwable failure = null;
                for (int i = 0; i < futures.size() && failure == null; i++) {
                    try {
                        completions.take().get();
                    } catch (ExecutionException e) {
                        failure = e.getCause();
                        futures.forEach(other -> other.cancel(true));
                    } catch (InterruptedException e) {
                        futures.forEach(other -> other.cancel(true));
                        throw e;
                    }
                }
                if (failure instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (failure instanceof InterruptedException interrupted) {
                    throw interrupted;
                }
                if (failure != null) {
                    throw new IllegalStateException(failure);
                }
            }
        }

        private void action(Step.Action action) throws InterruptedException {
            if (journal.isDone(action.id())) {
                listener.actionSkipped(action, finished.incrementAndGet(), total);
                return;
            }
            permits.acquire();
            long started = System.nanoTime();
            try {
                listener.actionStarted(action);
                journal.started(action.id());
                action.task().run();
                journal.done(action.id());
                listener.actionDone(
                        action, Duration.ofNanos(System.nanoTime() - started), finished.incrementAndGet(), total);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                recordFailure(action, e);
                throw e instanceof StepFailedException already ? already : new StepFailedException(action, e);
            } finally {
                permits.release();
            }
        }

        private void recordFailure(Step.Action action, Exception error) {
            try {
                journal.failed(action.id(), error.getMessage() == null ? error.toString() : error.getMessage());
            } catch (RuntimeException journalError) {
                error.addSuppressed(journalError);
            }
            listener.actionFailed(action, error);
        }
    }

    private static int countActions(Step step) {
        return switch (step) {
            case Step.Action ignored -> 1;
            case Step.Serial serial ->
                serial.steps().stream().mapToInt(Engine::countActions).sum();
            case Step.Parallel parallel ->
                parallel.steps().stream().mapToInt(Engine::countActions).sum();
        };
    }
}
