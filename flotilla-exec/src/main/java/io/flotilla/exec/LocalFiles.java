package io.flotilla.exec;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files on this machine created with their mode in the create call itself, so that the umask's
 * default (0644) never applies to a state file, not even until a chmod.
 */
public final class LocalFiles {
    private LocalFiles() {}

    /**
     * A stream appending to {@code file}, which is created with {@code mode} ({@code "0600"}) when
     * missing. A stream, not a channel: an interrupted thread does not close it.
     */
    public static FileOutputStream append(Path file, String mode) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(permissions(mode)));
        } catch (FileAlreadyExistsException ignored) {
            // Appended to as it is; its mode is what it was made with.
        }
        return new FileOutputStream(file.toFile(), true);
    }

    /** Opens {@code file} with {@code options}; one that {@link StandardOpenOption#CREATE}s it gives it {@code mode}. */
    public static FileChannel open(Path file, String mode, OpenOption... options) throws IOException {
        return FileChannel.open(file, Set.of(options), PosixFilePermissions.asFileAttribute(permissions(mode)));
    }

    /** {@code "0640"} as the permissions Java names. */
    public static Set<PosixFilePermission> permissions(String mode) {
        int bits = Integer.parseInt(mode, 8);
        StringBuilder symbolic = new StringBuilder();
        String letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            symbolic.append((bits & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        }
        return PosixFilePermissions.fromString(symbolic.toString());
    }
}
