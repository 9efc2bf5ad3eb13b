package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What it takes to run the agent on a host: a Java runtime and the agent's class path entries
 * (jars, or class directories when running from a build tree), copied to the host at deploy so
 * that a later rebuild of Flotilla does not pull them from under a running agent.
 */
public record AgentRuntime(Path java, List<Path> classpath) {
    /** Artifacts the agent needs at run time; the agent module keeps its dependencies this small on purpose. */
    private static final Set<String> AGENT_ARTIFACTS =
            Set.of("flotilla-agent", "jackson-core", "jackson-databind", "jackson-annotations", "mariadb-java-client");

    public AgentRuntime {
        requireNonNull(java, "java is null");
        classpath = List.copyOf(classpath);
    }

    /** The runtime of this process: its own {@code java} and the agent's entries of its class path. */
    public static AgentRuntime current() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<Path> entries = List.of(System.getProperty("java.class.path").split(File.pathSeparator)).stream()
                .filter(entry -> !entry.isBlank())
                .map(Path::of)
                .filter(AgentRuntime::isAgentEntry)
                .filter(Files::exists)
                .toList();
        if (entries.stream().noneMatch(entry -> entry.toString().contains("flotilla-agent"))) {
            throw new OperationException(
                    "AGENT_MISSING",
                    "the agent is not on this installation's class path (%s); reinstall Flotilla"
                            .formatted(System.getProperty("java.class.path")));
        }
        return new AgentRuntime(java, entries);
    }

    private static boolean isAgentEntry(Path entry) {
        String text = entry.toString();
        if (text.contains("/flotilla-agent/target/classes")) {
            return true;
        }
        String file = entry.getFileName().toString();
        return AGENT_ARTIFACTS.stream().anyMatch(artifact -> file.startsWith(artifact + "-") && file.endsWith(".jar"));
    }
}
