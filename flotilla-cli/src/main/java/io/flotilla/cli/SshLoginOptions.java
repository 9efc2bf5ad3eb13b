package io.flotilla.cli;

import io.flotilla.exec.ExecException;
import io.flotilla.exec.SshKeyFile;
import io.flotilla.exec.SshPassword;
import io.flotilla.operations.SshLogin;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.io.Console;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * How deploy, scale-out and check log in to hosts other than this machine (for deploy and scale-out,
 * before the deploy user exists there): a key (asking for its passphrase when it has one) or a
 * password, and the host keys to trust. Secrets come from the terminal or from files of mode 0600,
 * never from the command line or the environment.
 */
final class SshLoginOptions {
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = PosixFilePermissions.fromString("---rwxrwx");

    @Option(
            names = "--user",
            paramLabel = "USER",
            description =
                    "SSH login for hosts other than this machine: root, a sudoer, or the deploy user (global.user) itself.")
    private String user;

    @Option(
            names = {"-i", "--identity-file"},
            paramLabel = "KEY",
            description = {
                "SSH private key for --user (ed25519, RSA or ECDSA). When it is protected by a passphrase, the"
                        + " passphrase is asked for on the terminal (not echoed), or read from --identity-passphrase-file;"
                        + " a missing or wrong passphrase stops the command before any host is touched."
            })
    private Path identityFile;

    @Option(
            names = "--identity-passphrase-file",
            paramLabel = "FILE",
            description =
                    "Read the passphrase of the -i KEY from FILE (first line), which must be readable by its owner only (mode 0600).")
    private Path passphraseFile;

    @Option(
            names = {"-p", "--password"},
            description =
                    "Ask for the password of --user on the terminal (not echoed); deploy and scale-out also give it to sudo when it asks.")
    private boolean askPassword;

    @Option(
            names = "--password-file",
            paramLabel = "FILE",
            description =
                    "Read the password of --user from FILE (first line), which must be readable by its owner only (mode 0600).")
    private Path passwordFile;

    @Option(names = "--ssh-port", defaultValue = "22", description = "SSH port (default: ${DEFAULT-VALUE}).")
    private int sshPort;

    @Option(
            names = "--known-hosts",
            paramLabel = "FILE",
            description = "Host keys to verify the hosts against (default: ~/.ssh/known_hosts).")
    private Path knownHosts;

    @Option(
            names = "--accept-new-host-keys",
            description = "Trust an unknown host key on first use: deploy and scale-out record it in the cluster's own"
                    + " known_hosts, check trusts it for that run only. A changed key is always refused.")
    private boolean acceptNewHostKeys;

    /** Whether a login was given at all: a user, a key or a password. */
    boolean given() {
        return user != null || identityFile != null || passphraseFile != null || askPassword || passwordFile != null;
    }

    /**
     * The login, with its key's passphrase and its password read (from their files, or typed at the
     * terminal) and the passphrase checked against the key, before anything connects; null when none was given.
     */
    SshLogin login(Optional<Path> defaultKnownHosts) throws IOException {
        if (!given()) {
            return null;
        }
        if (user == null) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION, "SSH access needs --user as well as -i KEY or a password");
        }
        if (identityFile == null && !askPassword && passwordFile == null) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION, "SSH access needs -i KEY, -p (ask for the password) or --password-file FILE");
        }
        if (askPassword && passwordFile != null) {
            throw new OperationException(ErrorCode.BAD_OPTION, "give -p or --password-file, not both");
        }
        if (passphraseFile != null && identityFile == null) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "--identity-passphrase-file is the passphrase of a key: give the key with -i KEY too");
        }
        Optional<SshPassword> passphrase = identityFile == null ? Optional.empty() : passphrase(identityFile);
        Optional<SshPassword> password = Optional.empty();
        if (passwordFile != null) {
            password = Optional.of(SshPassword.ofFile(checkSecretFile(passwordFile, "password")));
        } else if (askPassword) {
            Console console = System.console();
            if (console == null) {
                throw new OperationException(
                        ErrorCode.BAD_OPTION, "-p needs a terminal to ask for the password; use --password-file FILE");
            }
            char[] typed = console.readPassword("Password of %s: ", user);
            if (typed == null || typed.length == 0) {
                throw new OperationException(ErrorCode.BAD_OPTION, "no password was typed; nothing was changed");
            }
            password = Optional.of(SshPassword.typed(typed));
            Arrays.fill(typed, ' ');
        }
        Path hosts = knownHosts != null
                ? knownHosts
                : defaultKnownHosts.orElse(Path.of(System.getProperty("user.home"), ".ssh", "known_hosts"));
        return new SshLogin(
                user,
                sshPort,
                Optional.ofNullable(identityFile)
                        .map(file -> file.toAbsolutePath().toString()),
                passphrase,
                password,
                hosts.toAbsolutePath().toString(),
                acceptNewHostKeys);
    }

    /**
     * The passphrase of the key when it has one: from --identity-passphrase-file, or typed at the
     * terminal. It is tried on the key here, so that a wrong one stops the command before any host is touched.
     */
    private Optional<SshPassword> passphrase(Path identityFile) throws IOException {
        Path key = identityFile.toAbsolutePath();
        if (!Files.isRegularFile(key)) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "SSH key %s does not exist or is not a file; give the private key with -i KEY".formatted(key));
        }
        if (!SshKeyFile.encrypted(key)) {
            if (passphraseFile != null) {
                throw new OperationException(
                        ErrorCode.BAD_OPTION,
                        "SSH key %s has no passphrase; leave out --identity-passphrase-file".formatted(key));
            }
            return Optional.empty();
        }
        SshPassword passphrase;
        if (passphraseFile != null) {
            passphrase = SshPassword.passphraseFile(checkSecretFile(passphraseFile, "passphrase"));
        } else {
            Console console = System.console();
            if (console == null) {
                throw new OperationException(
                        ErrorCode.BAD_OPTION,
                        "SSH key %s is protected by a passphrase and there is no terminal to ask for it; give it with --identity-passphrase-file FILE (mode 0600)"
                                .formatted(key));
            }
            char[] typed = console.readPassword("Passphrase of %s: ", key);
            if (typed == null || typed.length == 0) {
                throw new OperationException(ErrorCode.BAD_OPTION, "no passphrase was typed; nothing was changed");
            }
            passphrase = SshPassword.typedPassphrase(typed);
            Arrays.fill(typed, ' ');
        }
        try {
            SshKeyFile.read("localhost", key, Optional.of(passphrase));
        } catch (ExecException e) {
            throw new OperationException(ErrorCode.BAD_OPTION, e.getMessage() + "; nothing was changed", e);
        }
        return Optional.of(passphrase);
    }

    /**
     * A password or passphrase file others can read is refused before anything connects: the secret may already be out.
     *
     * @param secret what the file holds, for the message: {@code password} or {@code passphrase}
     */
    static Path checkSecretFile(Path file, String secret) throws IOException {
        Path absolute = file.toAbsolutePath();
        if (!Files.isRegularFile(absolute)) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION, "%s file %s does not exist or is not a file".formatted(secret, absolute));
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(absolute);
        if (permissions.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "%1$s file %2$s has mode %3$s: others than its owner may read or change it; run `chmod 600 %2$s` (and change the %1$s if others could read it)"
                            .formatted(secret, absolute, PosixFilePermissions.toString(permissions)));
        }
        return absolute;
    }
}
