package io.flotilla.cli;

import io.flotilla.operations.ClusterManager;
import picocli.CommandLine.Parameters;

/** A {@code cluster} subcommand about the one cluster its first parameter names, run with the cluster manager. */
abstract class NamedClusterCommand extends OutputCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The cluster's name.")
    String name;

    @Override
    final int run(Output output) throws Exception {
        return run(output, Services.clusters(output));
    }

    /** The command's work; the exit code it returns is the command's. */
    abstract int run(Output output, ClusterManager clusters) throws Exception;
}
