package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * What an instance's pid file says: {@code <pid> <start time>}, the form of the bootstrap's pid
 * file ({@code run/bootstrap.pid}), the start time being field 22 of {@code /proc/<pid>/stat}
 * (clock ticks after boot). The pair names one process: a pid used again by another process has
 * another start time. A file an older agent wrote holds the pid alone, and {@code startTime} is
 * then empty.
 */
record PidFile(long pid, OptionalLong startTime) {
    private static final Pattern FORM = Pattern.compile("[1-9][0-9]{0,18}( [0-9]{1,19})?");
    // Fields 1 and 2 are the pid and "(comm)"; comm may hold spaces and parentheses, so fields are
    // counted from the last ')'. Field 22 is then the 20th after it.
    private static final int START_TIME_AFTER_COMM = 22 - 3;

    PidFile {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid %d is not a process id".formatted(pid));
        }
    }

    /** The pid file of process {@code pid}; without a start time only when the process is gone already. */
    static PidFile of(long pid) {
        return new PidFile(pid, startTime(pid));
    }

    /**
     * The pid file at {@code file}; empty when there is none or it does not hold one of the two
     * forms (a damaged file names no process the agent could trust).
     */
    static Optional<PidFile> read(Path file) {
        String text;
        try {
            text = Files.readString(file, UTF_8).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read pid file %s: %s".formatted(file, e.getMessage()), e);
        }
        if (!FORM.matcher(text).matches()) {
            return Optional.empty();
        }
        String[] fields = text.split(" ");
        try {
            return Optional.of(new PidFile(
                    Long.parseLong(fields[0]),
                    fields.length == 1 ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(fields[1]))));
        } catch (NumberFormatException ignored) {
            // More digits than a long holds: not a file the agent wrote.
            return Optional.empty();
        }
    }

    /** Writes the file atomically, mode 0600. */
    void write(Path file) {
        AtomicFiles.write(file, text().getBytes(UTF_8));
    }

    String text() {
        return startTime.isPresent() ? "%d %d\n".formatted(pid, startTime.getAsLong()) : pid + "\n";
    }

    /** The start time of the live process {@code pid}, field 22 of its {@code /proc/<pid>/stat}; empty when it is gone. */
    static OptionalLong startTime(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/%d/stat".formatted(pid)), UTF_8);
        } catch (IOException ignored) {
            return OptionalLong.empty();
        }
        int comm = stat.lastIndexOf(')');
        if (comm < 0 || comm + 2 > stat.length()) {
            return OptionalLong.empty();
        }
        String[] fields = stat.substring(comm + 2).split(" ");
        if (fields.length <= START_TIME_AFTER_COMM) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(fields[START_TIME_AFTER_COMM]));
        } catch (NumberFormatException ignored) {
            return OptionalLong.empty();
        }
    }

    /** When this boot began ({@code btime} of {@code /proc/stat}); empty when it cannot be read. */
    static Optional<Instant> bootTime() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"), UTF_8)) {
                if (line.startsWith("btime ")) {
                    return Optional.of(Instant.ofEpochSecond(
                            Long.parseLong(line.substring(6).strip())));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
