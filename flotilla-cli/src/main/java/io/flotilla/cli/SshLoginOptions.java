package io.flotilla.cli;

import io.flotilla.engine.SshLogin;
import io.flotilla.exec.SshPassword;
import io.flotilla.plan.OperationException;
import java.io.Console;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Option;

/** How deploy and scale-out log in to hosts other than this machine, before the deploy user exists there. */
final class SshLoginOptions {
    @Option(
            names = "--user",
            paramLabel = "USER",
            description = {
                "SSH login for hosts other than this machine: root, a sudoer, or the deploy user (global.user) itself.",
                "Unless it is the deploy user, it is used once: to create the deploy user on each host, authorize the"
                        + " cluster's own key for it (kept 0600 in the cluster's folder) and give it the cluster's"
                        + " folders. Every later command logs in as the deploy user with that key."
            })
    private String user;

    @Option(
            names = {"-i", "--identity-file"},
            paramLabel = "KEY",
            description = "SSH private key for --user.")
    private Path identityFile;

    @Option(
            names = {"-p", "--password"},
            description =
                    "Ask for the password of --user on the terminal (not echoed); also given to sudo when it asks.")
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
            description = "Trust an unknown host key on first use and record it in the cluster's own known_hosts."
                    + " A changed key is always refused.")
    private boolean acceptNewHostKeys;

    SshLogin login(Optional<Path> defaultKnownHosts) throws IOException {
        if (user == null && identityFile == null && !askPassword && passwordFile == null) {
            return null;
        }
        if (user == null) {
            throw new OperationException("BAD_OPTION", "SSH access needs --user as well as -i KEY or a password");
        }
        if (identityFile == null && !askPassword && passwordFile == null) {
            throw new OperationException(
                    "BAD_OPTION", "SSH access needs -i KEY, -p (ask for the password) or --password-file FILE");
        }
        if (askPassword && passwordFile != null) {
            throw new OperationException("BAD_OPTION", "give -p or --password-file, not both");
        }
        Optional<SshPassword> password = Optional.empty();
        if (passwordFile != null) {
            password = Optional.of(SshPassword.ofFile(checkPasswordFile(passwordFile)));
        } else if (askPassword) {
            Console console = System.console();
            if (console == null) {
                throw new OperationException(
                        "BAD_OPTION", "-p needs a terminal to ask for the password; use --password-file FILE");
            }
            char[] typed = console.readPassword("Password of %s: ", user);
            if (typed == null || typed.length == 0) {
                throw new OperationException("BAD_OPTION", "no password was typed; nothing was changed");
            }
            password = Optional.of(SshPassword.typed(typed));
            java.util.Arrays.fill(typed, ' ');
        }
        Path hosts = knownHosts != null
                ? knownHosts
                : defaultKnownHosts.orElse(Path.of(System.getProperty("user.home"), ".ssh", "known_hosts"));
        return new SshLogin(
                user,
                sshPort,
                Optional.ofNullable(identityFile)
                        .map(file -> file.toAbsolutePath().toString()),
                password,
                hosts.toAbsolutePath().toString(),
                acceptNewHostKeys);
    }

    /** A password file others can read is refused before anything connects: the password may already be out. */
    static Path checkPasswordFile(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        if (!Files.isRegularFile(absolute)) {
            throw new OperationException(
                    "BAD_OPTION", "password file %s does not exist or is not a file".formatted(absolute));
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(absolute);
        Set<PosixFilePermission> others = EnumSet.of(
                PosixFilePermission.GROUP_READ,
                PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE,
                PosixFilePermission.OTHERS_READ,
                PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE);
        others.retainAll(permissions);
        if (!others.isEmpty()) {
            throw new OperationException(
                    "BAD_OPTION",
                    "password file %s has mode %s: others than its owner may read or change it; run `chmod 600 %s` (and change the password if others could read it)"
                            .formatted(absolute, PosixFilePermissions.toString(permissions), absolute));
        }
        return absolute;
    }
}
