package io.flotilla.cli;

import io.flotilla.engine.Operation;
import io.flotilla.engine.ProgressListener;
import io.flotilla.step.Step;
import java.io.PrintStream;
import java.time.Duration;

/** One line per step on standard error, with how many of the operation's steps are done. */
final class ProgressPrinter implements ProgressListener, Operation.ResumeListener {
    private final PrintStream err;

    ProgressPrinter(PrintStream err) {
        this.err = err;
    }

    @Override
    public synchronized void groupStarted(String title, int actions, int depth) {
        // One heading per step of the plan; the action lines below it name each instance.
        if (depth == 0) {
            err.printf("+ %s%n", title);
        }
    }

    @Override
    public synchronized void actionDone(Step.Action action, Duration took, int done, int total) {
        err.printf("  [%d/%d] %s ... done (%.1f s)%n", done, total, action.title(), took.toMillis() / 1000.0);
    }

    @Override
    public synchronized void actionSkipped(Step.Action action, int done, int total) {
        err.printf("  [%d/%d] %s ... done in an earlier run%n", done, total, action.title());
    }

    @Override
    public synchronized void actionFailed(Step.Action action, Throwable error) {
        err.printf("  %s ... FAILED%n", action.title());
    }

    @Override
    public synchronized void resuming(String operationId, int stepsDone, int steps) {
        err.printf(
                "Resuming operation %s: %d of %d steps were done by an earlier run.%n", operationId, stepsDone, steps);
    }
}
