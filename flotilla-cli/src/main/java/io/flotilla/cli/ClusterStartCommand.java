package io.flotilla.cli;

import io.flotilla.engine.Journal;
import io.flotilla.operations.ClusterManager;
import io.flotilla.operations.ClusterView;
import io.flotilla.step.OperationName;
import picocli.CommandLine.Command;

@Command(
        name = "start",
        mixinStandardHelpOptions = true,
        description = "Start the cluster in dependency order, waiting for each tier to be ready before the next.")
final class ClusterStartCommand extends SelectiveCommand {
    @Override
    OperationName operation() {
        return OperationName.START;
    }

    @Override
    void done(Output output, Journal journal) {
        super.done(output, journal);
        ClusterManager clusters = Services.clusters(output);
        ClusterView view = clusters.display(name);
        view.endpoints().forEach((key, value) -> output.out().printf("  %-12s %s%n", key, value));
    }
}
