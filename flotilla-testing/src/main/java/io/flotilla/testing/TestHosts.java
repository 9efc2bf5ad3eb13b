package io.flotilla.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Real hosts on this machine for tests: each a network namespace on one bridge, with its own address
 * in {@code 10.251.<k>.0/24}, its own sshd and its own {@code /srv}, {@code /home} and {@code /etc}. Needs root.
 *
 * <p>Everything is named after the prefix: namespaces {@code <prefix><i>}, links {@code <prefix><i>-v}
 * and {@code <prefix>-br}, folders under {@code /var/lib/flotilla-testhosts}. A prefix names one
 * harness at a time: {@link #create} first removes whatever an earlier run left under it, and
 * {@link #close} (also run at JVM exit) removes everything again.
 *
 * <p>A host runs its sshd alone, or systemd ({@link Init#SYSTEMD}) as a machine with systemd does.
 */
public final class TestHosts implements AutoCloseable {
    static final Path ROOT = Path.of("/var/lib/flotilla-testhosts");
    private static final Pattern PREFIX = Pattern.compile("[a-z]{1,8}");
    private static final int MAX_HOSTS = 99;
    private static final Map<String, TestHosts> LIVE = new ConcurrentHashMap<>();

    /** What runs a host: only its sshd, or systemd as the PID 1 of its own PID namespace, which runs its sshd. */
    public enum Init {
        /** sshd alone, as on a machine whose services nobody supervises: Flotilla's agent runs detached. */
        SSHD,
        /**
         * systemd with logind, D-Bus and polkit, so that a deploy user's {@code systemd --user} runs
         * when lingering is enabled for it. The host sees this machine read-only but for its own
         * {@code /etc}, {@code /home}, {@code /srv}, {@code /var/lib/systemd} and fresh {@code /run},
         * {@code /tmp}, {@code /var/tmp}; see {@link SystemdHost}. Needs systemd, dbus, libpam-systemd
         * and polkitd installed on this machine (not running) and a cgroup2 hierarchy.
         */
        SYSTEMD
    }

    private final String prefix;
    private final Init init;
    private final String subnet;
    private final Path clientDir;
    private final List<TestHost> hosts = new ArrayList<>();
    private final Thread shutdownHook;
    private boolean closed;

    private TestHosts(String prefix, Init init) {
        this.prefix = prefix;
        this.init = init;
        this.subnet = "10.251.%d".formatted(Math.floorMod(prefix.hashCode(), 256));
        this.clientDir = ROOT.resolve(prefix + "-client");
        this.shutdownHook =
                Thread.ofPlatform().name("testhosts-" + prefix + "-cleanup").unstarted(this::close);
    }

    /**
     * Creates {@code count} hosts named {@code <prefix>1} to {@code <prefix><count>}, each answering
     * ssh on port 22 with the harness's {@link #clientKey()}, after removing the leftovers of an earlier
     * run with the same prefix.
     *
     * @param prefix 1 to 8 lowercase letters; it also chooses the subnet
     */
    public static TestHosts create(String prefix, int count) {
        return create(prefix, count, Init.SSHD);
    }

    /**
     * Creates {@code count} hosts as {@link #create(String, int)} does, each run by {@code init}.
     *
     * @param prefix 1 to 8 lowercase letters; it also chooses the subnet
     */
    public static TestHosts create(String prefix, int count, Init init) {
        if (init == null) {
            throw new IllegalArgumentException(
                    "init of test hosts '%s' is null: say SSHD or SYSTEMD".formatted(prefix));
        }
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException(
                    "test host prefix '%s' must be 1 to 8 lowercase letters, so that names of links stay within 15 characters"
                            .formatted(prefix));
        }
        if (count < 1 || count > MAX_HOSTS) {
            throw new IllegalArgumentException(
                    "test host count %d must be between 1 and %d".formatted(count, MAX_HOSTS));
        }
        TestHosts harness = new TestHosts(prefix, init);
        TestHosts previous = LIVE.put(prefix, harness);
        if (previous != null) {
            previous.abandon();
        }
        Runtime.getRuntime().addShutdownHook(harness.shutdownHook);
        try {
            harness.start(count);
            return harness;
        } catch (RuntimeException e) {
            try {
                harness.close();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    public List<TestHost> hosts() {
        return List.copyOf(hosts);
    }

    /** The private ed25519 key, without passphrase, that every host authorizes for root. */
    public Path clientKey() {
        return clientDir.resolve("id_ed25519");
    }

    /** A known_hosts file with one line per host: {@code <address> ssh-ed25519 AAAA...}. */
    public Path knownHosts() {
        return clientDir.resolve("known_hosts");
    }

    /** The subnet of the hosts, {@code 10.251.<k>.0/24}; the bridge holds {@code .1}. */
    public String subnet() {
        return subnet + ".0/24";
    }

    /** Kills every process of the hosts, deletes their namespaces, links and folders. Idempotent. */
    @Override
    public void close() {
        // A harness created later with the same prefix owns the names now.
        if (release() && LIVE.remove(prefix, this)) {
            removeAll(prefix);
        }
    }

    /** Another harness took over the prefix; this one's names are no longer its own to remove. */
    private void abandon() {
        release();
    }

    /** Marks this harness closed and drops its shutdown hook; false if that happened already. */
    private synchronized boolean release() {
        if (closed) {
            return false;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // Already shutting down: the hook is what runs close().
        }
        return true;
    }

    private void start(int count) {
        removeAll(prefix);
        if (init == Init.SYSTEMD) {
            SystemdHost.requireSupported();
        }
        refuseSubnetInUse();
        try {
            Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation directory
            Files.createDirectories(ROOT);
            Files.createDirectory(
                    clientDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new TestHostsException("cannot create %s: %s".formatted(clientDir, e.getMessage()), e);
        }
        keygen(clientKey(), "flotilla-testhosts-" + prefix);
        String clientPublicKey = read(clientDir.resolve("id_ed25519.pub"));

        String bridge = prefix + "-br";
        Command.check(List.of("ip", "link", "add", bridge, "type", "bridge"));
        Command.check(List.of("ip", "addr", "add", subnet + ".1/24", "dev", bridge));
        Command.check(List.of("ip", "link", "set", bridge, "up"));

        StringBuilder knownHosts = new StringBuilder();
        for (int i = 1; i <= count; i++) {
            String name = prefix + i;
            String address = "%s.%d".formatted(subnet, 10 + i);
            String link = name + "-v";
            Command.check(List.of("ip", "netns", "add", name));
            Command.check(List.of("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", name));
            Command.check(List.of("ip", "link", "set", link, "master", bridge));
            Command.check(List.of("ip", "link", "set", link, "up"));
            Command.check(List.of("ip", "-n", name, "addr", "add", address + "/24", "dev", "eth0"));
            Command.check(List.of("ip", "-n", name, "link", "set", "eth0", "up"));
            Command.check(List.of("ip", "-n", name, "link", "set", "lo", "up"));

            Path dir = ROOT.resolve(name);
            createDirectories(dir.resolve("srv"), dir.resolve("home"));
            copyEtc(dir.resolve("etc"));
            Path hostKey = dir.resolve("ssh_host_ed25519_key");
            keygen(hostKey, name);
            String[] publicKey =
                    read(dir.resolve("ssh_host_ed25519_key.pub")).strip().split(" ");
            write(dir.resolve("authorized_keys"), clientPublicKey);
            write(dir.resolve("sshd_config"), sshdConfig(dir, address, hostKey));
            if (init == Init.SYSTEMD) {
                SystemdHost.prepare(name, dir, dir.resolve("sshd_config"));
            }
            knownHosts.append("%s %s %s%n".formatted(address, publicKey[0], publicKey[1]));

            TestHost host =
                    new TestHost(name, address, fingerprint(publicKey[1]), dir, link, clientKey(), knownHosts(), init);
            hosts.add(host);
            // Before the start: a systemd host is asked over ssh whether it booted.
            write(knownHosts(), knownHosts.toString());
            host.start();
        }
    }

    /**
     * The sshd of a test host. {@code SetEnv SHLVL=1} keeps bash from sourcing root's ~/.bashrc for
     * every command (shared with this machine, where it may run slow shell initialisation).
     */
    private static String sshdConfig(Path dir, String address, Path hostKey) {
        return """
                ListenAddress %s
                Port %d
                HostKey %s
                PidFile %s
                AuthorizedKeysFile .ssh/authorized_keys
                PermitRootLogin yes
                PasswordAuthentication yes
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                PrintMotd no
                Subsystem sftp /usr/lib/openssh/sftp-server
                SetEnv SHLVL=1
                Match User root
                    AuthorizedKeysFile %s
                """.formatted(
                        address, TestHost.SSH_PORT, hostKey, dir.resolve("sshd.pid"), dir.resolve("authorized_keys"));
    }

    /**
     * A private copy of this machine's {@code /etc}, so that users, passwords and sudoers made on one
     * host stay on it. Root's password is locked in the copy: a host accepts a password only once a
     * test sets one with {@link TestHost#setPassword}.
     */
    private static void copyEtc(Path etc) {
        Command.check(List.of("cp", "-a", "/etc", etc.toString()));
        Path shadow = etc.resolve("shadow");
        String locked = read(shadow)
                .lines()
                .map(line -> line.startsWith("root:") ? line.replaceFirst("^root:[^:]*:", "root:*:") : line)
                .collect(Collectors.joining("\n", "", "\n"));
        write(shadow, locked);
    }

    /** Another link holding an address of our subnet would make the hosts unreachable, or worse. */
    private void refuseSubnetInUse() {
        Matcher matcher = Pattern.compile(
                        "^\\d+: (\\S+)\\s+inet (" + Pattern.quote(subnet + ".") + "\\d+)", Pattern.MULTILINE)
                .matcher(Command.check(List.of("ip", "-4", "-o", "addr", "show")));
        if (matcher.find()) {
            throw new TestHostsException(
                    "subnet %s.0/24 of test hosts '%s' is in use: %s holds %s; choose another prefix or remove that address"
                            .formatted(subnet, prefix, matcher.group(1), matcher.group(2)));
        }
    }

    /**
     * Removes everything named after {@code prefix}: processes in its namespaces (also in namespaces
     * whose name is already gone but whose sshd still runs with one of our configs), links, namespaces
     * and folders. The bind mounts need no unmount: they live in mount namespaces of the killed processes.
     */
    static void removeAll(String prefix) {
        Pattern hostName = Pattern.compile(Pattern.quote(prefix) + "\\d+");
        List<String> namespaces = Command.check(List.of("ip", "netns", "list"))
                .lines()
                .map(line -> line.split(" ")[0])
                .filter(name -> hostName.matcher(name).matches())
                .toList();
        Set<Long> inodes = namespaces.stream()
                .flatMap(name -> NamespaceProcesses.inodeOf(name).stream())
                .collect(Collectors.toSet());
        Pattern ourSshd = Pattern.compile(Pattern.quote(ROOT + "/") + hostName + "/sshd_config");
        inodes.addAll(
                NamespaceProcesses.namespacesOf(line -> ourSshd.matcher(line).find()));
        NamespaceProcesses.killAll(inodes, "test hosts '%s'".formatted(prefix));
        // A systemd host's cgroup: a second net for its processes, then removed.
        SystemdHost.removeCgroups(prefix);

        Pattern ourLink = Pattern.compile(Pattern.quote(prefix) + "(\\d+-v|-br)");
        for (String link : links()) {
            if (ourLink.matcher(link).matches()) {
                deleteLink(link);
            }
        }
        for (String namespace : namespaces) {
            Command.check(List.of("ip", "netns", "delete", namespace));
        }
        try (Stream<Path> dirs = Files.exists(ROOT) ? Files.list(ROOT) : Stream.empty()) {
            for (Path dir : dirs.toList()) {
                String name = dir.getFileName().toString();
                if (hostName.matcher(name).matches() || name.equals(prefix + "-client")) {
                    deleteTree(dir);
                }
            }
        } catch (IOException e) {
            throw new TestHostsException("cannot list %s: %s".formatted(ROOT, e.getMessage()), e);
        }
    }

    private static void deleteLink(String link) {
        List<String> command = List.of("ip", "link", "delete", link);
        ExecResult result = Command.run(command);
        // A veth goes away by itself when the namespace of its peer dies; that is no failure.
        if (result.exitCode() != 0 && links().contains(link)) {
            throw new TestHostsException("`%s` failed with exit code %d: %s"
                    .formatted(
                            Command.line(command),
                            result.exitCode(),
                            result.stderr().strip()));
        }
    }

    private static List<String> links() {
        // "7: fh1-v@if2: <BROADCAST,..." or "5: fh-br: <BROADCAST,..."
        Pattern name = Pattern.compile("^\\d+: ([^:@\\s]+)");
        return Command.check(List.of("ip", "-o", "link", "show"))
                .lines()
                .map(name::matcher)
                .filter(Matcher::find)
                .map(matcher -> matcher.group(1))
                .toList();
    }

    private static void keygen(Path key, String comment) {
        Command.check(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key.toString()));
    }

    /** The fingerprint as ssh-keygen prints it: SHA-256 of the key blob, unpadded base64. */
    static String fingerprint(String base64Key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(Base64.getDecoder().decode(base64Key));
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static void createDirectories(Path... dirs) {
        for (Path dir : dirs) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new TestHostsException("cannot create %s: %s".formatted(dir, e.getMessage()), e);
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new TestHostsException("cannot read %s: %s".formatted(file, e.getMessage()), e);
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TestHostsException("cannot write %s: %s".formatted(file, e.getMessage()), e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path each : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(each);
            }
        } catch (IOException e) {
            throw new TestHostsException("cannot remove %s: %s".formatted(root, e.getMessage()), e);
        }
    }

    @Override
    public String toString() {
        return "test hosts '%s' %s".formatted(prefix, hosts);
    }
}
