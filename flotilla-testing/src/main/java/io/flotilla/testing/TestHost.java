package io.flotilla.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One host of {@link TestHosts}: a network namespace with its own address, a real sshd on port 22
 * and its own {@code /srv}, {@code /home} and {@code /etc} (a copy of this machine's). Binaries under {@code /usr} are shared, as on a fleet
 * built from one image.
 */
public final class TestHost {
    static final int SSH_PORT = 22;
    private static final Duration SSHD_READY_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(200);
    private static final Duration SSHD_POLL_INTERVAL = Duration.ofMillis(20);

    private final String name;
    private final String address;
    private final String hostKeyFingerprint;
    private final Path dir;
    private final String link;
    private final Path clientKey;
    private final Path knownHosts;
    private final TestHosts.Init init;

    TestHost(
            String name,
            String address,
            String hostKeyFingerprint,
            Path dir,
            String link,
            Path clientKey,
            Path knownHosts,
            TestHosts.Init init) {
        this.name = requireNonNull(name, "name is null");
        this.address = requireNonNull(address, "address is null");
        this.hostKeyFingerprint = requireNonNull(hostKeyFingerprint, "hostKeyFingerprint is null");
        this.dir = requireNonNull(dir, "dir is null");
        this.link = requireNonNull(link, "link is null");
        this.clientKey = requireNonNull(clientKey, "clientKey is null");
        this.knownHosts = requireNonNull(knownHosts, "knownHosts is null");
        this.init = requireNonNull(init, "init is null");
    }

    /** The host's name, which is also the name of its network namespace. */
    public String name() {
        return name;
    }

    public String address() {
        return address;
    }

    /** Whether systemd runs the host ({@link TestHosts.Init#SYSTEMD}) or only its sshd does. */
    public TestHosts.Init init() {
        return init;
    }

    public int sshPort() {
        return SSH_PORT;
    }

    /** The host key's fingerprint as {@code ssh-keygen -lf} prints it: {@code SHA256:...}. */
    public String hostKeyFingerprint() {
        return hostKeyFingerprint;
    }

    /**
     * Runs {@code command} on the host as root through the real {@code ssh} client, with the harness's
     * client key and strict host key checking against its known_hosts. Each argument arrives as one
     * word; use {@code sh -c} for a shell line. Exit code 255 is ssh's own failure.
     */
    public ExecResult exec(String... command) {
        return Command.run(sshCommand(List.of(command)));
    }

    /** Cuts the host's network cable: its link to the bridge goes down, its processes keep running. */
    public void cutLink() {
        Command.check(List.of("ip", "link", "set", link, "down"));
    }

    public void restoreLink() {
        Command.check(List.of("ip", "link", "set", link, "up"));
    }

    /** Crashes the host: every process in its namespace, sshd (and systemd) included, is killed with SIGKILL. */
    public void crash() {
        NamespaceProcesses.inodeOf(name)
                .ifPresent(namespace -> NamespaceProcesses.killAll(Set.of(namespace), "test host " + name));
        if (init == TestHosts.Init.SYSTEMD) {
            SystemdHost.removeCgroup(name);
        }
    }

    /**
     * Reboots the host: kills what still runs in it, then starts sshd (or boots systemd) again. {@code
     * /srv}, {@code /home} and {@code /etc} survive; a systemd host starts its enabled units again.
     */
    public void restart() {
        crash();
        start();
    }

    /**
     * Sets the password of a user of the host in its private {@code /etc/shadow}; sshd (without PAM)
     * then accepts it for password logins, root's included. The password goes to chpasswd's stdin.
     */
    public void setPassword(String user, String password) {
        ExecResult result = Command.run(sshCommand(List.of("chpasswd")), user + ":" + password + "\n");
        if (result.exitCode() != 0) {
            throw new TestHostsException("cannot set the password of %s on test host %s: %s"
                    .formatted(user, name, result.stderr().strip()));
        }
    }

    /** The private {@code /etc} of the host, as seen from this machine. */
    public Path etc() {
        return dir.resolve("etc");
    }

    /** The file sshd reads root's authorized keys from, as seen from this machine (root's home is shared). */
    public Path rootAuthorizedKeys() {
        return dir.resolve("authorized_keys");
    }

    /** The private {@code /home} of the host, as seen from this machine. */
    public Path home() {
        return dir.resolve("home");
    }

    /** The private {@code /srv} of the host, as seen from this machine. */
    public Path srv() {
        return dir.resolve("srv");
    }

    void start() {
        if (init == TestHosts.Init.SYSTEMD) {
            SystemdHost.boot(name, dir);
            awaitSshd();
            awaitSystemd();
            return;
        }
        // The bind mounts live in a private mount namespace that dies with the host's last process.
        String script =
                "mount --bind %1$s/srv /srv && mount --bind %1$s/home /home && mount --bind %1$s/etc /etc && exec /usr/sbin/sshd -f %1$s/sshd_config -E %1$s/sshd.log"
                        .formatted(dir);
        Command.check(List.of(
                "ip", "netns", "exec", name, "unshare", "--mount", "--propagation", "private", "sh", "-c", script));
        awaitSshd();
    }

    private void awaitSshd() {
        // Polled: sshd gives no other sign that it listens.
        Optional<IOException> failure = Await.untilNoIoError(
                SSHD_READY_TIMEOUT, SSHD_POLL_INTERVAL, "waiting for sshd of test host " + name, () -> {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(address, SSH_PORT), (int) CONNECT_TIMEOUT.toMillis());
                    }
                });
        if (failure.isPresent()) {
            throw new TestHostsException(
                    "sshd of test host %s did not listen on %s:%d within %d s: %s; its log %s ends with: %s"
                            .formatted(
                                    name,
                                    address,
                                    SSH_PORT,
                                    SSHD_READY_TIMEOUT.toSeconds(),
                                    failure.get().getMessage(),
                                    dir.resolve("sshd.log"),
                                    logTail()));
        }
    }

    /** Waits until systemd has started every unit of the host; a failed unit fails the start, named. */
    private void awaitSystemd() {
        ExecResult state = Command.run(
                sshCommand(List.of("sh", "-c", "systemctl is-system-running --wait; systemctl --failed --no-legend")),
                SSHD_READY_TIMEOUT);
        if (!state.stdout().startsWith("running\n")) {
            throw new TestHostsException(
                    "systemd of test host %s did not reach 'running': %s %s; its console %s ends with: %s"
                            .formatted(
                                    name,
                                    state.stdout().strip().replace('\n', ' '),
                                    state.stderr().strip(),
                                    dir.resolve("console"),
                                    tail(dir.resolve("console"))));
        }
    }

    private String logTail() {
        if (init == TestHosts.Init.SYSTEMD) {
            // sshd is a unit there: a host whose boot script or systemd failed has no sshd log at all.
            return "%s; %s ends with: %s; %s ends with: %s"
                    .formatted(
                            tail(dir.resolve("sshd.log")),
                            dir.resolve("boot.log"),
                            tail(dir.resolve("boot.log")),
                            dir.resolve("console"),
                            tail(dir.resolve("console")));
        }
        return tail(dir.resolve("sshd.log"));
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(unreadable: %s)".formatted(e.getMessage());
        }
    }

    private List<String> sshCommand(List<String> command) {
        List<String> ssh = new ArrayList<>(List.of(
                "ssh",
                "-F",
                "/dev/null",
                "-i",
                clientKey.toString(),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "UserKnownHostsFile=" + knownHosts,
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-o",
                "ConnectTimeout=5",
                "-o",
                "LogLevel=ERROR",
                "-p",
                String.valueOf(SSH_PORT),
                "root@" + address,
                "--"));
        for (String word : command) {
            ssh.add(quote(word));
        }
        return ssh;
    }

    /** The remote shell splits ssh's command line again; single quotes keep each argument one word. */
    private static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    @Override
    public String toString() {
        return "%s (%s)".formatted(name, address);
    }
}
