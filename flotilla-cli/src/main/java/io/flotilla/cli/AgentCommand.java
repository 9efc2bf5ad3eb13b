package io.flotilla.cli;

import io.flotilla.agent.AgentMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "agent", hidden = true, description = "Run the host agent (started by deploy; not for direct use).")
final class AgentCommand implements Runnable {
    @Parameters(arity = "0..*")
    private java.util.List<String> args = java.util.List.of();

    @Override
    public void run() {
        AgentMain.main(args.toArray(String[]::new));
    }
}
