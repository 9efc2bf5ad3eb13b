package io.flotilla.operations;

import static java.util.Objects.requireNonNull;

import io.flotilla.engine.SshAccess;
import io.flotilla.exec.SshOptions;
import io.flotilla.exec.SshPassword;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The login a deploy is given for hosts other than this machine: root, a sudoer, or the deploy user
 * itself, with a key, a password or both. When it is not the deploy user it is used only to create
 * that user and authorize the cluster's own key; every later command logs in with that key.
 *
 * @param passphrase the passphrase of the identity file, when it is encrypted
 * @param knownHosts the known_hosts file host keys are verified against
 * @param acceptNewHostKeys trust a host's key on first use, recording it in the cluster's own known_hosts
 */
public record SshLogin(
        String user,
        int port,
        Optional<String> identityFile,
        Optional<SshPassword> passphrase,
        Optional<SshPassword> password,
        String knownHosts,
        boolean acceptNewHostKeys) {
    public SshLogin {
        requireNonNull(user, "user is null");
        requireNonNull(identityFile, "identityFile is null");
        requireNonNull(passphrase, "passphrase is null");
        requireNonNull(password, "password is null");
        requireNonNull(knownHosts, "knownHosts is null");
        SshOptions.checkPort(port);
        if (identityFile.isEmpty() && password.isEmpty()) {
            throw new IllegalArgumentException("an SSH login needs a key or a password");
        }
        if (passphrase.isPresent() && identityFile.isEmpty()) {
            throw new IllegalArgumentException("a passphrase belongs to an identity file");
        }
    }

    /** A login whose key, if any, has no passphrase. */
    public SshLogin(
            String user,
            int port,
            Optional<String> identityFile,
            Optional<SshPassword> password,
            String knownHosts,
            boolean acceptNewHostKeys) {
        this(user, port, identityFile, Optional.empty(), password, knownHosts, acceptNewHostKeys);
    }

    /** The login as it is, kept for later commands: only when it logs in with a key. */
    SshAccess access() {
        return new SshAccess(user, port, identityFile.orElseThrow(), knownHosts, acceptNewHostKeys);
    }

    SshOptions options(Path clusterKnownHosts) {
        return SshOptions.of(
                        user,
                        identityFile.stream().map(Path::of).toList(),
                        password,
                        Path.of(knownHosts),
                        clusterKnownHosts)
                .withPort(port)
                .withPassphrases(
                        file -> identityFile.map(Path::of).filter(file::equals).flatMap(ignored -> passphrase))
                .withAcceptNewHostKeys(acceptNewHostKeys);
    }
}
