package io.flotilla.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that writes to the {@link Output} the {@code flotilla} command line was run with. */
abstract class OutputCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        FlotillaCommand flotilla = (FlotillaCommand) spec.root().userObject();
        return run(flotilla.output());
    }

    /** The command's work; the exit code it returns is the command's. */
    abstract int run(Output output) throws Exception;
}
