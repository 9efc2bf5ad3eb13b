package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What it takes to run the agent on a host: its own Java runtime ({@link RuntimeImage}, built once
 * and cached under {@code cache}) and the agent's class path entries (jars, or class directories
 * when running from a build tree), copied to the host at deploy so that the host needs no Java and
 * a later rebuild of Flotilla does not pull them from under a running agent.
 */
public record AgentRuntime(List<Path> classpath, Path cache) {
    /** Where the runtime is unpacked, relative to the agent's dir on a host. */
    public static final String RUNTIME_DIR = "jre";
    /** The file in {@link #RUNTIME_DIR} holding the sha256 of the image unpacked there. */
    public static final String IMAGE_MARKER = ".image-sha256";
    /** Where the agent's module lists, by jar name prefix, what it runs with. */
    private static final String LIBRARIES = "io/flotilla/agent/libraries.txt";

    /** The modules of ours the agent runs, for a class path of build trees rather than jars. */
    private static final List<String> AGENT_MODULES = List.of("flotilla-agent", "flotilla-agent-api", "flotilla-wait");

    public AgentRuntime {
        classpath = List.copyOf(classpath);
        requireNonNull(cache, "cache is null");
    }

    /** The agent's entries of this process's class path; its runtime image is built from this JDK into {@code cache}. */
    public static AgentRuntime current(Path cache) {
        List<String> libraries = libraries();
        List<Path> entries = List.of(System.getProperty("java.class.path").split(File.pathSeparator)).stream()
                .filter(entry -> !entry.isBlank())
                .map(Path::of)
                .filter(entry -> isAgentEntry(entry, libraries))
                .filter(Files::exists)
                .toList();
        if (entries.stream().noneMatch(AgentRuntime::isDaemon)) {
            throw new OperationException(
                    ErrorCode.AGENT_MISSING,
                    "the agent is not on this installation's class path (%s); reinstall Flotilla"
                            .formatted(System.getProperty("java.class.path")));
        }
        return new AgentRuntime(entries, cache);
    }

    /** The agent's Java runtime image, built on first use (a few seconds) and cached. */
    public RuntimeImage image() {
        return RuntimeImage.cached(cache, classpath);
    }

    /** The agent daemon's own classes (not only its API's): a jar {@code flotilla-agent-<version>.jar} or the build tree. */
    private static boolean isDaemon(Path entry) {
        return entry.toString().contains("/flotilla-agent/target/classes")
                || entry.getFileName().toString().matches("flotilla-agent-[0-9].*\\.jar");
    }

    private static List<String> libraries() {
        try (InputStream in = AgentRuntime.class.getClassLoader().getResourceAsStream(LIBRARIES)) {
            if (in == null) {
                throw new OperationException(
                        ErrorCode.AGENT_MISSING,
                        "the agent is not on this installation's class path (%s lacks %s); reinstall Flotilla"
                                .formatted(System.getProperty("java.class.path"), LIBRARIES));
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + LIBRARIES + ": " + e.getMessage(), e);
        }
    }

    private static boolean isAgentEntry(Path entry, List<String> libraries) {
        String text = entry.toString();
        if (AGENT_MODULES.stream().anyMatch(module -> text.contains("/" + module + "/target/classes"))) {
            return true;
        }
        String file = entry.getFileName().toString();
        return libraries.stream().anyMatch(prefix -> file.startsWith(prefix) && file.endsWith(".jar"));
    }
}
