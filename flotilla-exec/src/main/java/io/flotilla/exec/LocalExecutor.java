package io.flotilla.exec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The executor for this machine. */
public final class LocalExecutor implements Executor {
    /** Walks of a tree that others remove at the same time; each one that loses a race removes more of it. */
    private static final int MAX_REMOVE_ATTEMPTS = 10;

    private final String host;

    public LocalExecutor(String host) {
        this.host = host;
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public CommandResult run(List<String> command, Duration timeout) {
        Process process = start(new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())));
        CompletableFuture<String> stdout = readAsync(process.getInputStream());
        CompletableFuture<String> stderr = readAsync(process.getErrorStream());
        try {
            awaitExit(process, command, timeout);
            return new CommandResult(process.exitValue(), stdout.join(), stderr.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ExecException(host, "interrupted while running %s on %s".formatted(command.getFirst(), host), e);
        }
    }

    @Override
    public CommandResult stream(List<String> command, InputStream in, OutputStream out, Duration timeout) {
        Process process = start(new ProcessBuilder(command));
        CompletableFuture<String> stderr = readAsync(process.getErrorStream());
        CompletableFuture<Void> input = CompletableFuture.runAsync(
                () -> {
                    try (OutputStream stdin = process.getOutputStream()) {
                        in.transferTo(stdin);
                    } catch (IOException ignored) {
                        // The command stopped reading: its exit code and stderr say why.
                    }
                },
                runnable -> Thread.ofVirtual().name("exec-input").start(runnable));
        try (InputStream stdout = process.getInputStream()) {
            stdout.transferTo(out);
            out.flush();
            awaitExit(process, command, timeout);
            input.join();
            return new CommandResult(process.exitValue(), "", stderr.join());
        } catch (IOException e) {
            process.destroyForcibly();
            throw new ExecException(
                    host, "%s on %s: the stream broke: %s".formatted(command.getFirst(), host, e.getMessage()), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ExecException(host, "interrupted while running %s on %s".formatted(command.getFirst(), host), e);
        }
    }

    private Process start(ProcessBuilder builder) {
        try {
            return builder.start();
        } catch (IOException e) {
            throw new ExecException(
                    host, "cannot run %s on %s: %s".formatted(builder.command().getFirst(), host, e.getMessage()), e);
        }
    }

    /** Waits for the command to exit; one still running after {@code timeout} is killed with what it started. */
    private void awaitExit(Process process, List<String> command, Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new ExecException(
                    host,
                    "%s did not finish on %s within %d s"
                            .formatted(String.join(" ", command), host, timeout.toSeconds()));
        }
    }

    private static CompletableFuture<String> readAsync(InputStream stream) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofVirtual().name("exec-output").start(() -> {
            try (stream) {
                result.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.complete("(output unreadable: %s)".formatted(e.getMessage()));
            }
        });
        return result;
    }

    @Override
    public boolean exists(String path) {
        return Files.exists(Path.of(path));
    }

    @Override
    public void mkdirs(String path, String mode) {
        Path dir = Path.of(path);
        try {
            List<Path> missing = new ArrayList<>();
            for (Path current = dir; current != null && !Files.exists(current); current = current.getParent()) {
                missing.addFirst(current);
            }
            for (Path create : missing) {
                try {
                    // Made no more open than asked; the chmod gives back what the umask took.
                    Files.createDirectory(create, PosixFilePermissions.asFileAttribute(LocalFiles.permissions(mode)));
                    Files.setPosixFilePermissions(create, LocalFiles.permissions(mode));
                } catch (FileAlreadyExistsException ignored) {
                    // Created concurrently by another step: what we wanted.
                }
            }
            if (!Files.isDirectory(dir)) {
                throw new ExecException(host, "%s on %s exists and is not a directory".formatted(path, host));
            }
        } catch (IOException e) {
            throw new ExecException(host, "cannot create directory %s on %s: %s".formatted(path, host, describe(e)), e);
        }
    }

    @Override
    public boolean put(String path, byte[] content, String mode) {
        Path target = Path.of(path);
        try {
            if (Files.isRegularFile(target)
                    && Arrays.equals(sha256(Files.readAllBytes(target)), sha256(content))
                    && Files.getPosixFilePermissions(target).equals(LocalFiles.permissions(mode))) {
                return false;
            }
            writeAtomically(target, content, mode);
            return true;
        } catch (IOException e) {
            throw new ExecException(host, "cannot write %s on %s: %s".formatted(path, host, describe(e)), e);
        }
    }

    /** Writes through a temporary file in the same directory, fsyncs, then renames over the target. */
    public static void writeAtomically(Path target, byte[] content, String mode) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temporary = Files.createTempFile(
                parent,
                "." + target.getFileName(),
                ".tmp",
                PosixFilePermissions.asFileAttribute(LocalFiles.permissions(mode)));
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(content));
                channel.force(true);
            }
            Files.setPosixFilePermissions(temporary, LocalFiles.permissions(mode));
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    @Override
    public boolean copy(Path localFile, String path, String mode) {
        try {
            return put(path, Files.readAllBytes(localFile), mode);
        } catch (IOException e) {
            throw new ExecException(host, "cannot read %s: %s".formatted(localFile, describe(e)), e);
        }
    }

    @Override
    public void remove(String path) {
        Path root = Path.of(path);
        // Another step may be removing the same tree (instances can share a folder), and a file
        // that vanished under the walk is what we wanted: walk again until the tree is gone.
        for (int attempt = 1; Files.exists(root, LinkOption.NOFOLLOW_LINKS); attempt++) {
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path each : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(each);
                }
            } catch (NoSuchFileException ignored) {
                // Removed concurrently; the loop checks what is left.
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException) || attempt >= MAX_REMOVE_ATTEMPTS) {
                    throw new ExecException(
                            host, "cannot remove %s on %s: %s".formatted(path, host, describe(e.getCause())), e);
                }
            } catch (IOException e) {
                throw new ExecException(host, "cannot remove %s on %s: %s".formatted(path, host, describe(e)), e);
            }
        }
    }

    @Override
    public void startDetached(List<String> command, String logFile) {
        List<String> detached = new ArrayList<>(List.of("setsid", "--fork"));
        detached.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(detached)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(
                        ProcessBuilder.Redirect.appendTo(Path.of(logFile).toFile()));
        try {
            Process process = builder.start();
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new ExecException(
                        host, "cannot start %s on %s; see %s".formatted(command.getFirst(), host, logFile));
            }
        } catch (IOException e) {
            throw new ExecException(
                    host, "cannot start %s on %s: %s".formatted(command.getFirst(), host, e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExecException(host, "interrupted while starting %s on %s".formatted(command.getFirst(), host), e);
        }
    }

    @Override
    public void close() {}

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static String describe(IOException e) {
        return switch (e) {
            case AccessDeniedException denied -> "permission denied (" + denied.getFile() + ")";
            case NoSuchFileException missing -> "no such file or directory (" + missing.getFile() + ")";
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
    }
}
