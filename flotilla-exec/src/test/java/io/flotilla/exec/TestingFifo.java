package io.flotilla.exec;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * A named pipe as the local file of a copy: the test holds the rest of the content back until it
 * has seen the file being written on the host, and so sees the mode that file has while it is
 * still being written (a regular file would be sent before the test could look).
 */
final class TestingFifo {
    private TestingFifo() {}

    private static Path create(Path file) throws Exception {
        Process mkfifo =
                new ProcessBuilder("mkfifo", file.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0)
                .isTrue();
        return file;
    }

    /**
     * Copies {@code first} then {@code rest} to {@code target} through a named pipe at {@code source}
     * with {@code executor}, and returns the mode the file had on the host while it was written.
     */
    static String modeWhileCopying(Executor executor, Path source, Path target, String mode, String first, String rest)
            throws Exception {
        create(source);
        CompletableFuture<Boolean> copied = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                copied.complete(executor.copy(source, target.toString(), mode));
            } catch (Throwable e) {
                copied.completeExceptionally(e);
            }
        });
        String seen = feedAndWatch(
                source, first.getBytes(StandardCharsets.UTF_8), rest.getBytes(StandardCharsets.UTF_8), target);
        assertThat(copied.get(20, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(target)).isEqualTo(first + rest);
        return seen;
    }

    /**
     * Writes {@code first}, waits for a temporary file named after {@code target} to appear beside
     * it, records that file's mode, then writes {@code rest}. Returns the mode, as {@code rw-------}.
     */
    private static String feedAndWatch(Path fifo, byte[] first, byte[] rest, Path target) throws IOException {
        AtomicReference<String> mode = new AtomicReference<>();
        // Opened for reading too, so that the open returns even when the copy never reads it.
        try (OutputStream out =
                Channels.newOutputStream(FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE))) {
            out.write(first);
            out.flush();
            assertEventually(Duration.ofSeconds(10), () -> {
                try (Stream<Path> files = Files.list(target.getParent())) {
                    Path temporary = files.filter(each -> {
                                String name = each.getFileName().toString();
                                return name.startsWith("." + target.getFileName() + ".") && name.endsWith(".tmp");
                            })
                            .findFirst()
                            .orElseThrow(() -> new AssertionError("no temporary file beside " + target));
                    mode.set(PosixFilePermissions.toString(Files.getPosixFilePermissions(temporary)));
                }
            });
            out.write(rest);
            // Closing before the copy opened its end would drop what was written: the copy runs in
            // this process, so its end is a second descriptor of ours on the pipe.
            assertEventually(
                    Duration.ofSeconds(10),
                    () -> assertThat(descriptorsOn(fifo))
                            .as("descriptors open on " + fifo)
                            .isGreaterThanOrEqualTo(2));
        }
        return mode.get();
    }

    private static long descriptorsOn(Path fifo) throws IOException {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            return descriptors
                    .filter(each -> {
                        try {
                            return Files.readSymbolicLink(each).equals(fifo.toAbsolutePath());
                        } catch (IOException ignored) {
                            return false; // closed while we looked
                        }
                    })
                    .count();
        }
    }
}
