package io.flotilla.cli;

import io.flotilla.operations.ClusterManager;
import java.util.concurrent.Callable;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** A {@code cluster} subcommand about the one cluster its first parameter names, run with the cluster manager. */
abstract class NamedClusterCommand implements Callable<Integer> {
    @ParentCommand
    ClusterCommand parent;

    @Parameters(index = "0", paramLabel = "NAME", description = "The cluster's name.")
    String name;

    @Override
    public Integer call() throws Exception {
        Output output = parent.output();
        return run(output, Services.clusters(output));
    }

    /** The command's work; the exit code it returns is the command's. */
    abstract int run(Output output, ClusterManager clusters) throws Exception;
}
