package io.flotilla.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs one command of the harness on this machine; a failure names the command and its stderr. */
final class Command {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Command() {}

    static ExecResult run(List<String> command) {
        return run(command, TIMEOUT);
    }

    /** Runs {@code command} with {@code input} on its stdin (a secret stays out of the process list). */
    static ExecResult run(List<String> command, String input) {
        return run(command, TIMEOUT, input);
    }

    static ExecResult run(List<String> command, Duration timeout) {
        return run(command, timeout, null);
    }

    private static ExecResult run(List<String> command, Duration timeout, String input) {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (input == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process process;
        try {
            process = builder.start();
            if (input != null) {
                try (var stdin = process.getOutputStream()) {
                    stdin.write(input.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new TestHostsException("cannot run `%s`: %s".formatted(line(command), e.getMessage()), e);
        }
        CompletableFuture<String> stdout = readAsync(process.getInputStream());
        CompletableFuture<String> stderr = readAsync(process.getErrorStream());
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new TestHostsException(
                        "`%s` did not finish within %d s".formatted(line(command), timeout.toSeconds()));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new TestHostsException("interrupted while running `%s`".formatted(line(command)), e);
        }
        return new ExecResult(process.exitValue(), stdout.join(), stderr.join());
    }

    /** Runs {@code command} and returns its stdout; a non-zero exit is a {@link TestHostsException}. */
    static String check(List<String> command) {
        ExecResult result = run(command);
        if (result.exitCode() != 0) {
            throw new TestHostsException("`%s` failed with exit code %d: %s"
                    .formatted(line(command), result.exitCode(), result.stderr().strip()));
        }
        return result.stdout();
    }

    static String line(List<String> command) {
        return String.join(" ", command);
    }

    private static CompletableFuture<String> readAsync(InputStream stream) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofVirtual().name("testhosts-output").start(() -> {
            try (stream) {
                result.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.complete("(output unreadable: %s)".formatted(e.getMessage()));
            }
        });
        return result;
    }
}
