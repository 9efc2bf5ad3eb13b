package io.flotilla.agent;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.RestartPolicy;
import java.nio.file.Path;

/**
 * {@code flotilla-agent --dir <agentDir> --listen <host:port>}: runs the agent (its API over TLS with
 * the key and certificate in {@code <agentDir>/tls}) until it is asked to
 * shut down or gets SIGTERM. Its instances keep running either way. Logs go to stderr, one line per event.
 */
public final class AgentMain {
    private static final String USAGE =
            "usage: flotilla-agent --dir <agentDir> --listen <host:port> [--check-listen <host:port>]";

    private AgentMain() {}

    public static void main(String[] args) {
        // Must be set before the first logger is created; one line per event, never a stack trace.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL%1$tz %4$s %3$s: %5$s%n");
        }
        String dir = null;
        String listen = null;
        String checkListen = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--dir" -> dir = value;
                case "--listen" -> listen = value;
                case "--check-listen" -> checkListen = value;
                default -> {
                    System.err.println("unknown argument " + args[i] + "; " + USAGE);
                    System.exit(2);
                }
            }
            i++;
        }
        if (dir == null || listen == null) {
            System.err.println(USAGE);
            System.exit(2);
        }
        Agent agent;
        try {
            agent = Agent.start(Path.of(dir), listen, checkListen, RestartPolicy.DEFAULT);
        } catch (AgentException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "agent-shutdown-hook"));
        try {
            agent.awaitShutdownRequest();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(0);
    }
}
