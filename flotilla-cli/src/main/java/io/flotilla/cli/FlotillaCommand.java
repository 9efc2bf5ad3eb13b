package io.flotilla.cli;

import picocli.CommandLine.Command;

@Command(
        name = "flotilla",
        mixinStandardHelpOptions = true,
        version = "flotilla 0.1.0",
        description = "Deploy, start and operate MySQL-compatible database clusters from one topology file.",
        subcommands = {
            PlaygroundCommand.class,
            ClusterCommand.class,
            TopologyCommand.class,
            K8sCommand.class,
            SqlCommand.class,
            ServeCommand.class
        })
final class FlotillaCommand implements Runnable {
    private final Output output;

    FlotillaCommand(Output output) {
        this.output = output;
    }

    Output output() {
        return output;
    }

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(output.out());
    }
}
