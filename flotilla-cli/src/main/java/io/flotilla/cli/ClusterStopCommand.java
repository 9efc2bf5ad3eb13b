package io.flotilla.cli;

import picocli.CommandLine.Command;

@Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the cluster in reverse dependency order.")
final class ClusterStopCommand extends SelectiveCommand {
    @Override
    String operation() {
        return "stop";
    }
}
