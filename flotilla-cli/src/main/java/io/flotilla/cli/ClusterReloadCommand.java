package io.flotilla.cli;

import io.flotilla.step.OperationName;
import picocli.CommandLine.Command;

@Command(
        name = "reload",
        mixinStandardHelpOptions = true,
        description = {
            "Rolling restart: one instance at a time, replicas before their primary.",
            "Each instance is ready before the next stops. Applies settings SET CONFIG wrote for the next start."
        })
final class ClusterReloadCommand extends SelectiveCommand {
    @Override
    OperationName operation() {
        return OperationName.RELOAD;
    }
}
