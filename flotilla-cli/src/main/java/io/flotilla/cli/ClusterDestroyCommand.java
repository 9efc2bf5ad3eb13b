package io.flotilla.cli;

import io.flotilla.engine.Journal;
import io.flotilla.operations.ClusterManager;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.OperationName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "destroy",
        mixinStandardHelpOptions = true,
        description = {
            "Stop the cluster and remove every file of it.",
            "That is its instances, data, agents (and their systemd units) and its state. The audit log keeps its"
                    + " history."
        })
final class ClusterDestroyCommand extends LifecycleCommand {
    @Option(
            names = {"-y", "--yes"},
            description = "Required: destroying deletes the cluster's data.")
    boolean yes;

    @Override
    OperationName operation() {
        return OperationName.DESTROY;
    }

    @Override
    int run(Output output, ClusterManager clusters) {
        if (!yes && !dryRun.given()) {
            throw new OperationException(
                    ErrorCode.NEEDS_CONFIRMATION,
                    "destroying cluster '%s' deletes all its data; add --yes to go on".formatted(name));
        }
        return super.run(output, clusters);
    }

    @Override
    void done(Output output, Journal journal) {
        output.out().printf("Cluster '%s' destroyed.%n", name);
    }
}
