package io.flotilla.cli;

import io.flotilla.catalog.Catalog;
import io.flotilla.engine.Engine;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.operations.ClusterManager;
import io.flotilla.operations.KubernetesClusters;

/** Builds the services a command needs, from the environment. */
final class Services {
    /** Actions running at once across a plan; enough for a tier of instances, bounded for the machine. */
    static final int CONCURRENCY = 16;

    private Services() {}

    static ClusterManager clusters(Output output) {
        ProgressPrinter progress = new ProgressPrinter(output.err());
        return new ClusterManager(
                FlotillaHome.fromEnvironment(), Catalog.standard(), new Engine(CONCURRENCY, progress), progress);
    }

    static KubernetesClusters kubernetes(Output output) {
        ProgressPrinter progress = new ProgressPrinter(output.err());
        return new KubernetesClusters(FlotillaHome.fromEnvironment(), new Engine(CONCURRENCY, progress), progress);
    }

    /** The command line as typed, for the lock holder, the journal and the audit log. */
    static String commandLine(String... words) {
        return "flotilla " + String.join(" ", words);
    }
}
