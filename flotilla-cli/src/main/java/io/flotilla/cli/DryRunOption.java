package io.flotilla.cli;

import picocli.CommandLine.Option;

/** {@code --dry-run}, for the commands that compile a plan: print it and change nothing. */
final class DryRunOption {
    @Option(names = "--dry-run", description = "Print the plan and change nothing.")
    private boolean dryRun;

    boolean given() {
        return dryRun;
    }
}
