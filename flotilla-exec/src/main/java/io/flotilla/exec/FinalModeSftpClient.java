package io.flotilla.exec;

import java.io.IOException;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.sftp.client.SftpErrorDataHandler;
import org.apache.sshd.sftp.client.SftpVersionSelector;
import org.apache.sshd.sftp.client.impl.DefaultCloseableHandle;
import org.apache.sshd.sftp.client.impl.DefaultSftpClient;
import org.apache.sshd.sftp.common.SftpConstants;

/**
 * An SFTP client that creates a file with its permissions in the open request itself. MINA's
 * {@code open} sends no permissions, so the server creates the file with its default (0666 less
 * its umask, 0644 on most hosts), and a chmod afterwards leaves a window where a secret is
 * readable by all.
 */
final class FinalModeSftpClient extends DefaultSftpClient {
    private FinalModeSftpClient(ClientSession session) throws IOException {
        super(session, SftpVersionSelector.CURRENT, SftpErrorDataHandler.EMPTY);
    }

    static FinalModeSftpClient open(ClientSession session) throws IOException {
        FinalModeSftpClient client = new FinalModeSftpClient(session);
        try {
            client.negotiateVersion(SftpVersionSelector.CURRENT);
            return client;
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Creates a new file for writing, failing if the path exists, with {@code permissions} from
     * its first byte. The server's umask can only take bits away, so the file is never more
     * open than asked; the caller sets the mode once more to restore what the umask took.
     */
    CloseableHandle createExclusive(String path, int permissions) throws IOException {
        Buffer request =
                putReferencedName(SftpConstants.SSH_FXP_OPEN, new ByteArrayBuffer(path.length() + 64, false), path, 0);
        if (getVersion() < SftpConstants.SFTP_V5) {
            request.putInt(SftpConstants.SSH_FXF_WRITE | SftpConstants.SSH_FXF_CREAT | SftpConstants.SSH_FXF_EXCL);
        } else {
            request.putInt(SftpConstants.ACE4_WRITE_DATA | SftpConstants.ACE4_APPEND_DATA);
            request.putInt(SftpConstants.SSH_FXF_CREATE_NEW);
        }
        Attributes attributes = new Attributes().perms(permissions);
        attributes.setType(SftpConstants.SSH_FILEXFER_TYPE_REGULAR);
        request = writeAttributes(SftpConstants.SSH_FXP_OPEN, request, attributes);
        return new DefaultCloseableHandle(this, path, checkHandle(SftpConstants.SSH_FXP_OPEN, request));
    }
}
