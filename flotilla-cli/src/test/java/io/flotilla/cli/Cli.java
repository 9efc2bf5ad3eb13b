package io.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.TestHosts;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the real command line, parsed by picocli: in this JVM with captured streams, or as a
 * separate process (for kill -9 and for a second, concurrent command), or as a separate process on
 * a pseudo-terminal (for what is typed at a prompt).
 */
final class Cli {
    private final Path home;

    Cli(Path home) {
        this.home = home;
    }

    /** The options that log in to test hosts as root with their client key, verified by their known_hosts. */
    static List<String> rootLogin(TestHosts hosts) {
        return List.of(
                "--user",
                "root",
                "-i",
                hosts.clientKey().toString(),
                "--known-hosts",
                hosts.knownHosts().toString());
    }

    /** {@code args}, then the options that log in to the test hosts as root (see {@link #rootLogin}). */
    static String[] withRootLogin(TestHosts hosts, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(rootLogin(hosts));
        return all.toArray(String[]::new);
    }

    record Result(int exitCode, String out, String err) {
        String all() {
            return out + err;
        }
    }

    /** {@code cluster exec CLUSTER --command COMMAND}, which must succeed: each host's standard output, in host order. */
    List<String> execStdouts(String cluster, String command) {
        Result exec = run("cluster", "exec", cluster, "--command", command, "--format", "json");
        assertThat(exec.exitCode()).as(exec.all()).isZero();
        return Output.JSON
                .readTree(exec.out())
                .path("results")
                .valueStream()
                .map(each -> each.path("stdout").asString())
                .toList();
    }

    /** Runs in this JVM with {@code $FLOTILLA_HOME} set to the test's home. */
    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String previous = System.getProperty("flotilla.home");
        System.setProperty("flotilla.home", home.toString());
        try {
            int code = Main.run(
                    new Output(
                            new PrintStream(out, true, StandardCharsets.UTF_8),
                            new PrintStream(err, true, StandardCharsets.UTF_8)),
                    args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            if (previous == null) {
                System.clearProperty("flotilla.home");
            } else {
                System.setProperty("flotilla.home", previous);
            }
        }
    }

    /** Starts the command as a child process; its output goes to {@code log}. */
    Process start(Path log, String... args) throws IOException {
        return start(log, null, args);
    }

    /**
     * Starts the command as a child process; its standard output goes to {@code out}, and its
     * standard error to {@code err} (or to {@code out} too when null).
     */
    Process start(Path out, Path err, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dflotilla.cache=" + System.getProperty("flotilla.cache", ""),
                "-cp",
                System.getProperty("java.class.path"),
                "io.flotilla.cli.Main"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (err == null) {
            builder.redirectErrorStream(true);
        } else {
            builder.redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
        }
        builder.environment().put("FLOTILLA_HOME", home.toString());
        return builder.start();
    }

    /**
     * Starts the command as a child process whose standard streams are a pseudo-terminal, made by
     * util-linux {@code script}: what the test writes to the returned process's input is typed on
     * that terminal, and everything the command prints, prompts included, goes to {@code out}.
     */
    Process startOnTerminal(Path out, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dflotilla.cache=" + System.getProperty("flotilla.cache", ""),
                "-cp",
                System.getProperty("java.class.path"),
                "io.flotilla.cli.Main"));
        command.addAll(List.of(args));
        String line = String.join(
                " ",
                command.stream()
                        .map(word -> "'" + word.replace("'", "'\\''") + "'")
                        .toList());
        ProcessBuilder builder = new ProcessBuilder("script", "--quiet", "--return", "--command", line, "/dev/null")
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectErrorStream(true);
        builder.environment().put("FLOTILLA_HOME", home.toString());
        return builder.start();
    }
}
