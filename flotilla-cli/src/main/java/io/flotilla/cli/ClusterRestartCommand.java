package io.flotilla.cli;

import io.flotilla.step.OperationName;
import picocli.CommandLine.Command;

@Command(name = "restart", mixinStandardHelpOptions = true, description = "Stop, then start, in dependency order.")
final class ClusterRestartCommand extends SelectiveCommand {
    @Override
    OperationName operation() {
        return OperationName.RESTART;
    }
}
