package io.flotilla.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Writes a file so that a reader sees the old content or the new one, never a torn one. */
final class AtomicFiles {
    private AtomicFiles() {}

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** Writes to a temporary file beside {@code target}, forces it to disk, renames it over the target; mode 0600. */
    static void write(Path target, byte[] content) {
        write(target, content, OWNER_ONLY);
    }

    /**
     * Like {@link #write(Path, byte[])}, the file having {@code permissions} from its first byte:
     * the temporary file is created with them (the umask can only narrow them, and they are set
     * again before the rename), so the target never has another mode, not even for a moment.
     */
    static void write(Path target, byte[] content, Set<PosixFilePermission> permissions) {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = null;
        try {
            Files.createDirectories(dir);
            temp = Files.createTempFile(
                    dir, "." + target.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(permissions));
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.setPosixFilePermissions(temp, permissions);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(dir);
        } catch (IOException e) {
            if (temp != null) {
                deleteQuietly(temp);
            }
            throw new UncheckedIOException("cannot write %s: %s".formatted(target, e.getMessage()), e);
        }
    }

    static void delete(Path target) {
        try {
            if (Files.deleteIfExists(target)) {
                forceDirectory(target.toAbsolutePath().getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete %s: %s".formatted(target, e.getMessage()), e);
        }
    }

    // The rename is durable only once the directory entry is on disk too.
    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // The write already failed; that is the error worth reporting.
        }
    }
}
