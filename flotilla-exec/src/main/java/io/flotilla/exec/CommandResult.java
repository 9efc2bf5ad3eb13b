package io.flotilla.exec;

import static java.util.Objects.requireNonNull;

/** How a command ended and what it printed. */
public record CommandResult(int exitCode, String stdout, String stderr) {
    public CommandResult {
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
    }

    public boolean succeeded() {
        return exitCode == 0;
    }
}
