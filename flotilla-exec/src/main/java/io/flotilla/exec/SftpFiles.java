package io.flotilla.exec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.client.SftpClient.CloseableHandle;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.client.impl.SftpOutputStreamAsync;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/**
 * Files on a host through SFTP: directories made with their mode, and a file written to a
 * temporary name, fsync'ed where the server can, and renamed over the target atomically.
 */
final class SftpFiles {
    private static final int TRANSFER_BUFFER = 32 * 1024;

    private SftpFiles() {}

    @FunctionalInterface
    interface Content {
        InputStream open() throws IOException;
    }

    static void createDirectories(SftpClient sftp, String host, String path, int permissions) throws IOException {
        List<String> missing = new ArrayList<>();
        String current = normalize(path);
        while (!current.isEmpty() && !current.equals("/")) {
            Attributes attributes = statOrNull(sftp, current);
            if (attributes != null) {
                if (!attributes.isDirectory()) {
                    throw new ExecException(host, "%s on %s exists and is not a directory".formatted(current, host));
                }
                break;
            }
            missing.addFirst(current);
            current = parent(current);
        }
        for (String directory : missing) {
            try {
                sftp.mkdir(directory);
            } catch (SftpException e) {
                Attributes attributes = statOrNull(sftp, directory);
                if (attributes == null || !attributes.isDirectory()) {
                    throw e;
                }
                continue; // created concurrently by another step: what we wanted
            }
            // sftp-server applies its umask to mkdir; the mode asked for is set explicitly.
            sftp.setStat(directory, new Attributes().perms(permissions));
        }
    }

    static Attributes statOrNull(SftpClient sftp, String path) throws IOException {
        try {
            return sftp.stat(path);
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE) {
                return null;
            }
            throw e;
        }
    }

    /**
     * Writes to a temporary name created with {@code permissions} in the open request (never
     * the server's default), fsync'ed through the same handle where the server can, and renamed
     * over the target.
     */
    static void write(FinalModeSftpClient sftp, String host, String path, int permissions, Content content)
            throws IOException {
        String target = normalize(path);
        String directory = parent(target);
        String temporary = temporaryName(target);
        if (statOrNull(sftp, directory) == null) {
            createDirectories(sftp, host, directory, 0755);
        }
        try {
            try (CloseableHandle handle = sftp.createExclusive(temporary, permissions)) {
                try (InputStream in = content.open();
                        OutputStream out = new SftpOutputStreamAsync(sftp, TRANSFER_BUFFER, temporary, handle, false)) {
                    in.transferTo(out);
                }
                // The server's umask may have taken bits the mode asks for (0644 under umask 077).
                sftp.setStat(handle, new Attributes().perms(permissions));
                OpenSSHFsyncExtension fsync = sftp.getExtension(OpenSSHFsyncExtension.class);
                if (fsync != null && fsync.isSupported()) {
                    fsync.fsync(handle);
                }
            }
            OpenSSHPosixRenameExtension rename = sftp.getExtension(OpenSSHPosixRenameExtension.class);
            if (rename == null || !rename.isSupported()) {
                throw new ExecException(
                        host,
                        "the SFTP server of %s cannot replace files atomically (no posix-rename@openssh.com)"
                                .formatted(host));
            }
            rename.posixRename(temporary, target);
        } catch (IOException | RuntimeException e) {
            try {
                sftp.remove(temporary);
            } catch (IOException ignored) {
                // The temporary file may not exist; the original error is the one to report.
            }
            throw e;
        }
    }

    /** A name beside the target that no one else uses, hidden from a plain listing. */
    static String temporaryName(String target) {
        String directory = parent(target);
        return "%s/.%s.%s.tmp".formatted(directory.equals("/") ? "" : directory, name(target), UUID.randomUUID());
    }

    static String normalize(String path) {
        String result = path.replaceAll("/+", "/");
        return result.length() > 1 && result.endsWith("/") ? result.substring(0, result.length() - 1) : result;
    }

    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? (path.startsWith("/") ? "/" : "") : path.substring(0, slash);
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
