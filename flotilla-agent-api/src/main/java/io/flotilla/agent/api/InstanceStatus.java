package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * What the agent knows of one instance right now.
 *
 * @param pid the process id, or 0 when no process runs
 * @param since when the instance entered its current state
 * @param restarts how many times the supervisor restarted it after an unexpected exit
 * @param lastExit how the last process ended ({@code "exit 1"}, {@code "signal 9"}), or empty
 */
public record InstanceStatus(
        String id, String component, State state, long pid, Instant since, int restarts, String lastExit) {
    public InstanceStatus {
        requireNonNull(id, "id is null");
        requireNonNull(component, "component is null");
        requireNonNull(state, "state is null");
        requireNonNull(since, "since is null");
        requireNonNull(lastExit, "lastExit is null");
    }

    /** The supervisor's view of a process; readiness is asked separately. */
    public enum State {
        /** Not asked to run. */
        STOPPED,
        /** A process runs. */
        RUNNING,
        /** The process exited unexpectedly; the supervisor waits before the next start. */
        BACKOFF,
        /** The process exited unexpectedly too often in a row; the supervisor gave up. */
        FAILED
    }
}
