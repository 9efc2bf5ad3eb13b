package io.flotilla.testing;

import static java.util.Objects.requireNonNull;

/** How a command ended: its exit code and everything it printed. */
public record ExecResult(int exitCode, String stdout, String stderr) {
    public ExecResult {
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
    }
}
