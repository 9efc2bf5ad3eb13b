package io.flotilla.cli;

import io.flotilla.engine.Journal;
import io.flotilla.operations.ClusterManager;
import io.flotilla.plan.Selection;
import io.flotilla.step.OperationName;
import java.util.List;
import picocli.CommandLine.Mixin;

/** Runs start, stop, restart or destroy with the shared options. */
abstract class LifecycleCommand extends NamedClusterCommand {
    @Mixin
    DryRunOption dryRun;

    abstract OperationName operation();

    Selection selection() {
        return Selection.ALL;
    }

    List<String> words() {
        return List.of("cluster", operation().label(), name);
    }

    @Override
    int run(Output output, ClusterManager clusters) {
        if (dryRun.given()) {
            output.out().print(clusters.plan(name, operation(), selection()).render());
            return 0;
        }
        Journal journal =
                clusters.run(name, operation(), selection(), Services.commandLine(words().toArray(String[]::new)));
        done(output, journal);
        return 0;
    }

    void done(Output output, Journal journal) {
        output.out().printf("Cluster '%s': %s done (operation %s).%n", name, operation(), journal.operationId());
    }
}
