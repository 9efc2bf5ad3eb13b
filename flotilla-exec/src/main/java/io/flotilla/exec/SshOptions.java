package io.flotilla.exec;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

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
        checkPort(port);
        if (identityFiles.isEmpty() && password.isEmpty()) {
            throw new IllegalArgumentException("ssh needs an identity file or a password");
        }
    }

    /** Refuses a port no SSH server listens on, for every place that takes an SSH port. */
    public static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("ssh port %d is not in 1-65535".formatted(port));
        }
    }

    /** Port 22, 10 s to connect and to authenticate, 10 minutes per command, unknown host keys refused. */
    public static SshOptions of(String user, List<Path> identityFiles, Path knownHosts, Path clusterKnownHosts) {
        return of(user, identityFiles, Optional.empty(), knownHosts, clusterKnownHosts);
    }

    /** As {@link #of(String, List, Path, Path)}, with a password as well as, or instead of, identity files. */
    public static SshOptions of(
            String user,
            List<Path> identityFiles,
            Optional<SshPassword> password,
            Path knownHosts,
            Path clusterKnownHosts) {
        return new SshOptions(
                user,
                22,
                identityFiles,
                Passphrases.NONE,
                password,
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofMinutes(10),
                knownHosts,
                false,
                clusterKnownHosts);
    }

    public SshOptions withPort(int port) {
        return with(parts -> parts.port = port);
    }

    public SshOptions withPassphrases(Passphrases passphrases) {
        return with(parts -> parts.passphrases = passphrases);
    }

    public SshOptions withPasswordFile(Path passwordFile) {
        return withPassword(SshPassword.ofFile(passwordFile));
    }

    public SshOptions withPassword(SshPassword password) {
        return with(parts -> parts.password = Optional.of(password));
    }

    public SshOptions withTimeouts(Duration connect, Duration auth, Duration command) {
        return with(parts -> {
            parts.connectTimeout = connect;
            parts.authTimeout = auth;
            parts.commandTimeout = command;
        });
    }

    public SshOptions withAcceptNewHostKeys(boolean accept) {
        return with(parts -> parts.acceptNewHostKeys = accept);
    }

    /** These options with some parts changed: the one place the withers name every component. */
    private SshOptions with(Consumer<Parts> change) {
        Parts parts = new Parts(this);
        change.accept(parts);
        return new SshOptions(
                parts.user,
                parts.port,
                parts.identityFiles,
                parts.passphrases,
                parts.password,
                parts.connectTimeout,
                parts.authTimeout,
                parts.commandTimeout,
                parts.knownHosts,
                parts.acceptNewHostKeys,
                parts.clusterKnownHosts);
    }

    /** The components of options being changed; the new options check them as any others. */
    private static final class Parts {
        private final String user;
        private int port;
        private final List<Path> identityFiles;
        private Passphrases passphrases;
        private Optional<SshPassword> password;
        private Duration connectTimeout;
        private Duration authTimeout;
        private Duration commandTimeout;
        private final Path knownHosts;
        private boolean acceptNewHostKeys;
        private final Path clusterKnownHosts;

        private Parts(SshOptions options) {
            user = options.user;
            port = options.port;
            identityFiles = options.identityFiles;
            passphrases = options.passphrases;
            password = options.password;
            connectTimeout = options.connectTimeout;
            authTimeout = options.authTimeout;
            commandTimeout = options.commandTimeout;
            knownHosts = options.knownHosts;
            acceptNewHostKeys = options.acceptNewHostKeys;
            clusterKnownHosts = options.clusterKnownHosts;
        }
    }
}
