package io.flotilla.engine;

import io.flotilla.exec.LocalFiles;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One operation at a time per cluster, across processes: an OS file lock, released by the kernel
 * when its holder dies, even by {@code kill -9}. The file names the holder for the one refused.
 */
public final class ClusterLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private ClusterLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    public static ClusterLock acquire(Path file, String cluster, String command) {
        try {
            Files.createDirectories(file.getParent());
            FileChannel channel = LocalFiles.open(
                    file, "0600", StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
                channel.close();
                throw new OperationException(
                        ErrorCode.LOCKED,
                        "cluster '%s' is busy: %s; wait for it to finish or stop that process"
                                .formatted(
                                        cluster,
                                        holder.isEmpty() ? "another flotilla process holds its lock" : holder));
            }
            String holder = "pid %d is running `%s` since %s"
                    .formatted(ProcessHandle.current().pid(), command, Instant.now());
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(holder.getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return new ClusterLock(channel, lock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            if (channel.isOpen()) {
                channel.truncate(0);
                lock.release();
                channel.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the cluster lock", e);
        }
    }
}
