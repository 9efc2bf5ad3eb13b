package io.flotilla.agent;

import io.flotilla.agent.api.InstanceSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Finds the program of a command the way {@code execvp} does, and recognises it in a running process. */
final class Executables {
    private Executables() {}

    /**
     * The file {@code command} names: itself when it holds a {@code /} (relative to {@code workDir}),
     * else the first executable match on {@code PATH}, else the first match that is not executable.
     */
    static Optional<Path> resolve(String command, Path workDir, Map<String, String> environment) {
        if (command.indexOf('/') >= 0) {
            Path file = workDir.resolve(command);
            return Files.exists(file) ? Optional.of(file) : Optional.empty();
        }
        String path = environment.getOrDefault("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        Path notExecutable = null;
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path file = Path.of(dir).resolve(command);
            if (Files.isRegularFile(file)) {
                if (Files.isExecutable(file)) {
                    return Optional.of(file);
                }
                if (notExecutable == null) {
                    notExecutable = file;
                }
            }
        }
        return Optional.ofNullable(notExecutable);
    }

    /** Whether {@code process} runs the program of {@code spec}; used to tell our process from a reused pid. */
    static boolean runs(ProcessHandle process, InstanceSpec spec) {
        Optional<String> executable = process.info().command();
        if (executable.isEmpty()) {
            return false;
        }
        // A binary replaced under its running process (a package upgrade) reads "PATH (deleted)".
        Path running = Path.of(executable.get().replaceFirst(" \\(deleted\\)$", ""));
        String command = spec.command().getFirst();
        Optional<Path> expected = resolve(command, Path.of(spec.workDir()), spec.environment());
        if (expected.isPresent() && realPath(expected.get()).equals(realPath(running))) {
            return true;
        }
        // /proc/<pid>/exe names the file after symlinks; a wrapper name like "mysqld" still matches.
        return running.getFileName()
                .toString()
                .equals(Path.of(command).getFileName().toString());
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException ignored) {
            return path.toAbsolutePath().normalize();
        }
    }
}
