package io.flotilla.exec;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Runs commands and moves files on one host. Commands are argument lists, never shell strings,
 * and never carry secrets: secrets travel as files written with mode 0600.
 */
public interface Executor extends AutoCloseable {
    String host();

    /** Runs a command to completion; a non-zero exit is returned, not thrown. */
    CommandResult run(List<String> command, Duration timeout);

    /** Runs a command and throws {@link ExecException} with its output when it fails. */
    default CommandResult check(List<String> command, Duration timeout) {
        CommandResult result = run(command, timeout);
        if (!result.succeeded()) {
            String output = (result.stderr().isBlank() ? result.stdout() : result.stderr()).strip();
            throw new ExecException(
                    host(),
                    "%s failed on %s with exit code %d: %s"
                            .formatted(String.join(" ", command), host(), result.exitCode(), lastLines(output, 20)));
        }
        return result;
    }

    /**
     * Runs a command whose standard input is read from {@code in} and whose standard output is
     * written to {@code out} as it comes, for data too big to hold in memory (a backup piped from
     * one host to another through this machine). The returned result carries the exit code and
     * standard error; its stdout is empty.
     */
    CommandResult stream(List<String> command, InputStream in, OutputStream out, Duration timeout);

    boolean exists(String path);

    /** Creates a directory and its parents; mode applies to the directories created. */
    void mkdirs(String path, String mode);

    /**
     * Writes a file atomically with the given mode ({@code "0644"}). Returns false, and writes
     * nothing, when the file already has that content.
     */
    boolean put(String path, byte[] content, String mode);

    /** Copies a local file to the host, skipped (returning false) when the target has the same checksum. */
    boolean copy(Path localFile, String path, String mode);

    /** Removes a file or a directory tree; a missing path is not an error. */
    void remove(String path);

    /** Starts a long-running process in its own session, detached from this one, output appended to logFile. */
    void startDetached(List<String> command, String logFile);

    @Override
    void close();

    static String lastLines(String text, int lines) {
        String[] all = text.split("\n");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", Arrays.asList(all).subList(from, all.length));
    }
}
