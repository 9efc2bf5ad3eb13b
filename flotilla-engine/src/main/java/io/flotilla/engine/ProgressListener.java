package io.flotilla.engine;

import io.flotilla.step.Step;
import java.time.Duration;

/** Hears what a running plan does, one event per action; implementations must be thread-safe. */
public interface ProgressListener {
    /** A serial or parallel group begins; {@code depth} is 0 for the plan's own steps and grows inside groups. */
    default void groupStarted(String title, int actions, int depth) {}

    default void actionStarted(Step.Action action) {}

    default void actionDone(Step.Action action, Duration took, int done, int total) {}

    /** The journal says the action finished in an earlier run of the same plan. */
    default void actionSkipped(Step.Action action, int done, int total) {}

    default void actionFailed(Step.Action action, Throwable error) {}

    ProgressListener SILENT = new ProgressListener() {};
}
