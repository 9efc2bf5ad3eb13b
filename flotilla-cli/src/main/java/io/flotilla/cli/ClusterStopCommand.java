package io.flotilla.cli;

import io.flotilla.step.OperationName;
import picocli.CommandLine.Command;

@Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the cluster in reverse dependency order.")
final class ClusterStopCommand extends SelectiveCommand {
    @Override
    OperationName operation() {
        return OperationName.STOP;
    }
}
