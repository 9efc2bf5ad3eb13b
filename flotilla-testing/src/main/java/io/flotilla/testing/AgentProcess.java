package io.flotilla.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Starts the agent ({@code io.flotilla.agent.AgentMain}, which the calling test has on its class
 * path) as a process of its own, the way a host runs it, small as on a host; its log goes to
 * {@code log}. The caller destroys it.
 */
public final class AgentProcess {
    private static final String MAIN = "io.flotilla.agent.AgentMain";

    private AgentProcess() {}

    public static Process start(Path dir, String listen, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        return new ProcessBuilder(
                        java,
                        "-Xmx48m",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-Xss512k",
                        "-cp",
                        System.getProperty("java.class.path"),
                        MAIN,
                        "--dir",
                        dir.toString(),
                        "--listen",
                        listen)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }
}
