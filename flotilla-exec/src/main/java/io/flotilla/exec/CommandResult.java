package io.flotilla.exec;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** How a command ended and what it printed. */
public record CommandResult(int exitCode, String stdout, String stderr) {
    public CommandResult {
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
    }

    public boolean succeeded() {
        return exitCode == 0;
    }

    /**
     * The message for {@code command} having failed: {@code what} failed, the program and this exit
     * code in brackets, then the last 20 lines it printed (standard output before standard error),
     * each indented by four spaces.
     */
    public String failure(String what, List<String> command) {
        String output = (stdout + "\n" + stderr).strip();
        return "%s (%s exited with %d):\n    %s"
                .formatted(
                        what,
                        command.getFirst(),
                        exitCode,
                        Executor.lastLines(output, 20).replace("\n", "\n    "));
    }
}
