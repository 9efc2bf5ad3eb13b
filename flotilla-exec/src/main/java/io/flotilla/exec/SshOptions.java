package io.flotilla.exec;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How to reach hosts over SSH. Secrets are never held here: a key's passphrase comes from a
 * provider when the key is read, and the password stays in its file (or
 * in memory, when typed at a prompt) until a session needs it.
 *
 * @param knownHosts the user's known_hosts (OpenSSH format, hashed entries too), read only
 * @param clusterKnownHosts the cluster's own known_hosts: read, and where keys trusted on first
 *     use are appended when {@code acceptNewHostKeys}
 */
public record SshOptions(
        String user,
        int port,
        List<Path> identityFiles,
        Passphrases passphrases,
        Optional<SshPassword> password,
        Duration connectTimeout,
        Duration authTimeout,
        Duration commandTimeout,
        Path knownHosts,
        boolean acceptNewHostKeys,
        Path clusterKnownHosts) {

    /** Where the passphrase of an encrypted private key comes from, read when the key is first read. */
    @FunctionalInterface
    public interface Passphrases {
        Passphrases NONE = identityFile -> Optional.empty();

        Optional<SshPassword> passphrase(Path identityFile);
    }

    public SshOptions {
        requireNonNull(user, "user is null");
        identityFiles = List.copyOf(identityFiles);
        requireNonNull(passphrases, "passphrases is null");
        requireNonNull(password, "password is null");
        requireNonNull(connectTimeout, "connectTimeout is null");
        requireNonNull(authTimeout, "authTimeout is null");
        requireNonNull(commandTimeout, "commandTimeout is null");
        requireNonNull(knownHosts, "knownHosts is null");
        requireNonNull(clusterKnownHosts, "clusterKnownHosts is null");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("ssh port %d is not in 1-65535".formatted(port));
        }
        if (identityFiles.isEmpty() && password.isEmpty()) {
            throw new IllegalArgumentException("ssh needs an identity file or a password");
        }
    }

    /** Port 22, 10 s to connect and to authenticate, 10 minutes per command, unknown host keys refused. */
    public static SshOptions of(String user, List<Path> identityFiles, Path knownHosts, Path clusterKnownHosts) {
        return new SshOptions(
                user,
                22,
                identityFiles,
                Passphrases.NONE,
                Optional.empty(),
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofMinutes(10),
                knownHosts,
                false,
                clusterKnownHosts);
    }

    public SshOptions withPort(int port) {
        return new SshOptions(
                user,
                port,
                identityFiles,
                passphrases,
                password,
                connectTimeout,
                authTimeout,
                commandTimeout,
                knownHosts,
                acceptNewHostKeys,
                clusterKnownHosts);
    }

    public SshOptions withPassphrases(Passphrases passphrases) {
        return new SshOptions(
                user,
                port,
                identityFiles,
                passphrases,
                password,
                connectTimeout,
                authTimeout,
                commandTimeout,
                knownHosts,
                acceptNewHostKeys,
                clusterKnownHosts);
    }

    public SshOptions withPasswordFile(Path passwordFile) {
        return withPassword(SshPassword.ofFile(passwordFile));
    }

    public SshOptions withPassword(SshPassword password) {
        return new SshOptions(
                user,
                port,
                identityFiles,
                passphrases,
                Optional.of(password),
                connectTimeout,
                authTimeout,
                commandTimeout,
                knownHosts,
                acceptNewHostKeys,
                clusterKnownHosts);
    }

    public SshOptions withTimeouts(Duration connect, Duration auth, Duration command) {
        return new SshOptions(
                user,
                port,
                identityFiles,
                passphrases,
                password,
                connect,
                auth,
                command,
                knownHosts,
                acceptNewHostKeys,
                clusterKnownHosts);
    }

    public SshOptions withAcceptNewHostKeys(boolean accept) {
        return new SshOptions(
                user,
                port,
                identityFiles,
                passphrases,
                password,
                connectTimeout,
                authTimeout,
                commandTimeout,
                knownHosts,
                accept,
                clusterKnownHosts);
    }
}
