package io.flotilla.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/** The {@code flotilla} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(Output.system(), args));
    }

    /** Runs a command line and returns its exit code; tests call this with their own streams. */
    public static int run(Output output, String... args) {
        CommandLine commandLine = new CommandLine(new FlotillaCommand(output));
        commandLine.setOut(new PrintWriter(output.out(), true));
        commandLine.setErr(new PrintWriter(output.err(), true));
        commandLine.setExecutionExceptionHandler(new Failures(output));
        return commandLine.execute(args);
    }
}
