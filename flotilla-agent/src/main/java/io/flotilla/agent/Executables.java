package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.flotilla.agent.api.InstanceSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    /**
     * Whether {@code process} was started with the spec's command line, to which HAProxy's master
     * adds, when it runs itself again on a reload, {@code -sf}/{@code -st} and the old workers' pids,
     * or {@code -x} and a socket ({@code /proc/<pid>/cmdline}); what tells our process from another
     * of the same binary when no start time says which is ours.
     */
    static boolean runsArgumentsOf(ProcessHandle process, InstanceSpec spec) {
        Optional<List<String>> running = arguments(process.pid());
        List<String> command = spec.command();
        if (running.isEmpty()
                || running.get().size() < command.size()
                || !running.get().subList(0, command.size()).equals(command)) {
            return false;
        }
        List<String> added = running.get().subList(command.size(), running.get().size());
        int i = 0;
        while (i < added.size()) {
            String flag = added.get(i++);
            if (flag.equals("-x") && i < added.size()) {
                i++;
            } else if (flag.equals("-sf") || flag.equals("-st")) {
                while (i < added.size() && added.get(i).matches("\\d+")) {
                    i++;
                }
            } else {
                return false;
            }
        }
        return true;
    }

    /** The command line of process {@code pid}; empty when it is gone or cannot be read. */
    static Optional<List<String>> arguments(long pid) {
        byte[] cmdline;
        try {
            cmdline = Files.readAllBytes(Path.of("/proc/%d/cmdline".formatted(pid)));
        } catch (IOException ignored) {
            return Optional.empty();
        }
        if (cmdline.length == 0) {
            // A kernel thread or a zombie: no command line to compare.
            return Optional.empty();
        }
        // Each argument ends with a NUL; an empty argument is an empty string between two of them.
        String text = new String(cmdline, UTF_8);
        List<String> arguments = List.of(text.split("\0", -1));
        return Optional.of(text.endsWith("\0") ? arguments.subList(0, arguments.size() - 1) : arguments);
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException ignored) {
            return path.toAbsolutePath().normalize();
        }
    }
}
