package io.flotilla.exec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * A private key file as {@code ssh-keygen} writes it (ed25519, RSA, ECDSA; with or without a
 * passphrase), read through MINA's {@link FilePasswordProvider}: whether it is encrypted, and its key
 * pair once the passphrase opens it. Errors name the file and never the passphrase.
 */
public final class SshKeyFile {
    private SshKeyFile() {}

    /** Whether the key is protected by a passphrase: MINA asks for one only then. */
    public static boolean encrypted(Path file) {
        AtomicBoolean asked = new AtomicBoolean();
        try {
            load(file, (session, resource, retry) -> {
                asked.set(true);
                return null;
            });
            return false;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (asked.get()) {
                return true;
            }
            throw unreadable("localhost", file, e);
        }
    }

    /**
     * The key pair of the file, opened with the passphrase when it is encrypted. A missing or
     * wrong passphrase fails naming the file and where the passphrase came from.
     */
    public static KeyPair read(String host, Path file, Optional<SshPassword> passphrase) {
        AtomicBoolean asked = new AtomicBoolean();
        try {
            return load(file, (session, resource, retry) -> {
                asked.set(true);
                return passphrase.map(SshPassword::read).orElse(null);
            });
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (e instanceof ExecException exec) {
                throw exec;
            }
            if (asked.get() && passphrase.isEmpty()) {
                throw new ExecException(
                        host,
                        "SSH key %s is protected by a passphrase and none was given; type it at the prompt, or give it with --identity-passphrase-file FILE"
                                .formatted(file),
                        e);
            }
            if (asked.get()) {
                throw new ExecException(
                        host,
                        "%s does not open the SSH key %s: the passphrase is wrong; check it (ssh-keygen -y -f %s asks for it and prints the public key)"
                                .formatted(passphrase.get().description(), file, file),
                        e);
            }
            throw unreadable(host, file, e);
        }
    }

    private static KeyPair load(Path file, FilePasswordProvider passphrase)
            throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            Iterable<KeyPair> pairs =
                    SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()), in, passphrase);
            Iterator<KeyPair> iterator = pairs == null ? null : pairs.iterator();
            if (iterator == null || !iterator.hasNext()) {
                throw new ExecException("localhost", "%s holds no private key we can read".formatted(file));
            }
            return iterator.next();
        }
    }

    private static ExecException unreadable(String host, Path file, Exception e) {
        if (e instanceof ExecException exec) {
            return exec;
        }
        return new ExecException(
                host,
                "cannot read the SSH key %s: %s; check the file and its passphrase"
                        .formatted(file, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
                e);
    }
}
