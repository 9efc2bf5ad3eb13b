package io.flotilla.exec;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Files on a host whose sshd serves no SFTP (an operator's locked-down sshd_config without a
 * {@code Subsystem sftp} line): the operations of {@link SftpFiles} as POSIX shell commands on
 * the exec channel, with the same guarantees. A file is written under umask 077 to a temporary
 * name beside the target, refused if that name exists, given its mode before it is renamed over
 * the target: it is never more open than its final mode, and a reader sees the old content or
 * the new.
 */
final class ShellFiles {
    private static final int NOT_A_DIRECTORY = 3;

    private static final String MKDIRS = """
            mode=$1; shift
            for dir do
              [ -d "$dir" ] && continue
              if [ -e "$dir" ] || [ -L "$dir" ]; then printf '%s' "$dir"; exit 3; fi
              mkdir -m "$mode" -- "$dir" 2>/dev/null || [ -d "$dir" ] || mkdir -m "$mode" -- "$dir" || exit 1
            done
            """;

    /** Prints the checksum only when the file has the size and mode asked about. */
    private static final String CHECKSUM_IF_SAME = """
            [ -f "$1" ] && [ "$(stat -L -c '%s %a' -- "$1")" = "$2 $3" ] && sha256sum -- "$1"
            """;

    private static final String WRITE = """
            temporary=$1 target=$2 mode=$3 dir=$4
            [ -d "$dir" ] || (umask 022 && mkdir -p -- "$dir") || exit 1
            umask 077
            set -C
            cat > "$temporary" || { rm -f -- "$temporary"; exit 1; }
            if chmod -- "$mode" "$temporary"; then
              sync -- "$temporary" 2>/dev/null
              # Never into a directory (or a link to one) where the file goes.
              if [ -d "$target" ]; then
                printf '%s is a directory\n' "$target" >&2
              else
                mv -f -- "$temporary" "$target" && exit 0
              fi
            fi
            rm -f -- "$temporary"
            exit 1
            """;

    private ShellFiles() {}

    static boolean exists(Executor executor, String path, Duration timeout) {
        CommandResult result = executor.run(List.of("test", "-e", path), timeout);
        return switch (result.exitCode()) {
            case 0 -> true;
            case 1 -> false;
            default ->
                throw new ExecException(
                        executor.host(),
                        "cannot tell whether %s exists on %s: test exited with %d: %s"
                                .formatted(
                                        path,
                                        executor.host(),
                                        result.exitCode(),
                                        result.stderr().strip()));
        };
    }

    static void createDirectories(Executor executor, String path, String mode, Duration timeout) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", MKDIRS, "sh", mode));
        String normalized = SftpFiles.normalize(path);
        for (int slash = normalized.indexOf('/', 1); slash > 0; slash = normalized.indexOf('/', slash + 1)) {
            command.add(normalized.substring(0, slash));
        }
        command.add(normalized);
        CommandResult result = executor.run(command, timeout);
        if (result.exitCode() == NOT_A_DIRECTORY) {
            throw new ExecException(
                    executor.host(),
                    "%s on %s exists and is not a directory".formatted(result.stdout(), executor.host()));
        }
        if (!result.succeeded()) {
            throw failure(executor, "cannot create directory %s".formatted(path), result);
        }
    }

    /**
     * Whether the file has this size, mode and SHA-256 already: one command, one round trip. The
     * local checksum is asked for only when the size and mode match, as over SFTP.
     */
    static boolean unchanged(
            Executor executor, String path, long size, int permissions, Supplier<String> checksum, Duration timeout) {
        CommandResult result = executor.run(
                List.of(
                        "sh",
                        "-c",
                        CHECKSUM_IF_SAME,
                        "sh",
                        path,
                        Long.toString(size),
                        Integer.toOctalString(permissions)),
                timeout);
        return result.succeeded()
                && !result.stdout().isEmpty()
                && result.stdout().startsWith(checksum.get() + " ");
    }

    static void write(Executor executor, String path, String mode, InputStream content, Duration timeout) {
        String target = SftpFiles.normalize(path);
        String directory = SftpFiles.parent(target);
        CommandResult result = executor.stream(
                List.of(
                        "sh",
                        "-c",
                        WRITE,
                        "sh",
                        SftpFiles.temporaryName(target),
                        target,
                        mode,
                        directory.isEmpty() ? "." : directory),
                content,
                OutputStream.nullOutputStream(),
                timeout);
        if (!result.succeeded()) {
            throw failure(executor, "cannot write %s".formatted(path), result);
        }
    }

    private static ExecException failure(Executor executor, String what, CommandResult result) {
        return new ExecException(
                executor.host(),
                "%s on %s: %s"
                        .formatted(
                                what,
                                executor.host(),
                                Executor.lastLines(result.stderr().strip(), 5)));
    }
}
