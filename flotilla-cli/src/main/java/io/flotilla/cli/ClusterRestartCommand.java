package io.flotilla.cli;

import picocli.CommandLine.Command;

@Command(name = "restart", mixinStandardHelpOptions = true, description = "Stop, then start, in dependency order.")
final class ClusterRestartCommand extends SelectiveCommand {
    @Override
    String operation() {
        return "restart";
    }
}
