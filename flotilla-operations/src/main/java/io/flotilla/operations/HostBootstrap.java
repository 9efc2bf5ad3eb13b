package io.flotilla.operations;

import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.Engine;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.Operation;
import io.flotilla.engine.SshAccess;
import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.plan.AgentUnit;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.OperationName;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * Makes the other hosts ready for a cluster's deploy user ({@code global.user}) before a deploy
 * touches them. With the login given to the deploy (root, or a sudoer) it creates that user where
 * it is missing, authorizes the cluster's own SSH key for it and hands it the cluster's folders;
 * every later command logs in as that user with that key. The deploy user gets no sudo: its
 * processes listen on ports above 1024 and write only folders it owns.
 */
final class HostBootstrap {
    private static final Duration TIMEOUT = Duration.ofMinutes(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Creates the user and its group where missing, authorizes the key once, and hands it the folders. */
    private static final String CREATE_USER = """
            set -e
            user=$1 group=$2 key=$3
            shift 3
            getent group "$group" >/dev/null || groupadd "$group"
            # A new user's password is locked ("!"), and sshd without PAM then refuses even its keys: "*" has no password and is not locked.
            id -u "$user" >/dev/null 2>&1 || { useradd --create-home --gid "$group" "$user" && usermod -p '*' "$user"; }
            home=$(getent passwd "$user" | cut -d: -f6)
            [ -d "$home" ] || install -d -m 0750 -o "$user" -g "$group" "$home"
            install -d -m 0700 -o "$user" -g "$group" "$home/.ssh"
            keys="$home/.ssh/authorized_keys"
            [ -e "$keys" ] || install -m 0600 -o "$user" -g "$group" /dev/null "$keys"
            grep -qxF "$key" "$keys" || printf '%s\\n' "$key" >> "$keys"
            # Only a folder that is missing is made and given to the user (without following a link); one
            # that exists stays as it is, whoever owns it.
            for dir in "$@"; do
              if [ ! -e "$dir" ] && [ ! -L "$dir" ]; then
                mkdir -p -- "$(dirname -- "$dir")"
                mkdir -- "$dir"
                chown -h -- "$user:$group" "$dir"
              fi
            done
            # Where systemd runs, the user's own systemd (lingering: it runs with no login) keeps the agent
            # running as a user unit, with no sudo. A marker says Flotilla turned it on, so that destroy turns
            # it off again; where it cannot be turned on, the agent runs detached.
            if [ -d /run/systemd/system ] && command -v loginctl >/dev/null 2>&1 && [ ! -e "/var/lib/systemd/linger/$user" ]; then
              if loginctl enable-linger "$user"; then
                for dir in "$home/.config" "$home/.config/flotilla"; do
                  [ -d "$dir" ] || install -d -m 0700 -o "$user" -g "$group" "$dir"
                done
                echo "lingering of $user was turned on by Flotilla's bootstrap; the destroy of its last cluster turns it off" > "$home/@MARKER@"
                chown "$user:$group" "$home/@MARKER@"
              fi
            fi
            """.replace("@MARKER@", AgentUnit.LINGER_MARKER);

    /** Prints, for each folder the deploy user could not create or write, the folder, its nearest existing ancestor and that one's owner. */
    private static final String UNWRITABLE = """
            for dir in "$@"; do
              near=$dir
              while [ ! -e "$near" ]; do near=$(dirname "$near"); done
              if [ ! -d "$near" ] || [ ! -w "$near" ]; then
                printf '%s\\t%s\\t%s\\n' "$dir" "$near" "$(stat -c %U "$near")"
              fi
            done
            """;

    /** Drops the cluster's key from the deploy user's authorized_keys, keeping the file's owner and mode. */
    private static final String FORGET_KEY = """
            key=$1 keys="$HOME/.ssh/authorized_keys"
            [ -f "$keys" ] || exit 0
            grep -vxF "$key" "$keys" > "$keys.flotilla" || true
            cat "$keys.flotilla" > "$keys"
            rm -f "$keys.flotilla"
            """;

    /** How the login runs a command as root on a host. */
    private enum Privilege {
        ROOT,
        SUDO,
        SUDO_WITH_PASSWORD
    }

    private final ClusterStore store;
    private final Topology topology;
    private final SshLogin login;
    private final Hosts hosts;
    private final Map<String, Privilege> privileges = new ConcurrentHashMap<>();

    private HostBootstrap(ClusterStore store, Topology topology, SshLogin login, Hosts hosts) {
        this.store = store;
        this.topology = topology;
        this.login = login;
        this.hosts = hosts;
    }

    /** Where the cluster's private key is kept (mode 0600); the public key is beside it, {@code .pub}. */
    static Path clusterKey(ClusterStore store) {
        return store.dir().resolve("ssh").resolve("id_ed25519");
    }

    /**
     * What a deploy with this login would do to create the deploy user, without connecting: for a
     * dry run. Empty when the login is the deploy user or every host is this machine.
     */
    static Optional<Plan> plannedBootstrap(ClusterStore store, Topology topology, SshLogin login) {
        List<String> remote =
                topology.hosts().stream().filter(host -> !Hosts.isLocal(host)).toList();
        if (remote.isEmpty() || login.user().equals(topology.global().user())) {
            return Optional.empty();
        }
        // Compiling the plan connects nowhere: the connections open when a step runs.
        try (Hosts loginHosts = new Hosts(login, store.dir().resolve("known_hosts"))) {
            return Optional.of(new HostBootstrap(store, topology, login, loginHosts).plan(remote));
        }
    }

    /** How later commands will reach the hosts, without connecting: for a dry run. */
    static SshAccess plannedAccess(ClusterStore store, Topology topology, SshLogin login) {
        String user = topology.global().user();
        if (login.user().equals(user)) {
            return directAccess(login, user);
        }
        return new SshAccess(
                user, login.port(), clusterKey(store).toString(), login.knownHosts(), login.acceptNewHostKeys());
    }

    /**
     * Bootstraps every other host of the topology when the login is not the deploy user. Returns how
     * every later command reaches the hosts; check with {@link #checkWritable} that it can write every
     * folder of the cluster there. Logs in to every host before changing any.
     */
    static SshAccess prepare(
            FlotillaHome home,
            ClusterStore store,
            Topology topology,
            SshLogin login,
            String command,
            Engine engine,
            Operation.ResumeListener resumed) {
        List<String> remote =
                topology.hosts().stream().filter(host -> !Hosts.isLocal(host)).toList();
        if (remote.isEmpty()) {
            // Every host is this machine: nothing logs in over SSH.
            return login.identityFile().isPresent() ? login.access() : null;
        }
        return prepare(home, store, topology, login, remote, command, engine, resumed);
    }

    /**
     * Bootstraps the given hosts of the topology (other than this machine), as for a scale-out to
     * new hosts.
     */
    static SshAccess prepare(
            FlotillaHome home,
            ClusterStore store,
            Topology topology,
            SshLogin login,
            List<String> remote,
            String command,
            Engine engine,
            Operation.ResumeListener resumed) {
        String user = topology.global().user();
        SshAccess access;
        if (login.user().equals(user)) {
            access = directAccess(login, user);
        } else {
            generateKey(store);
            try (Hosts loginHosts = new Hosts(login, store.dir().resolve("known_hosts"))) {
                HostBootstrap bootstrap = new HostBootstrap(store, topology, login, loginHosts);
                Operation.run(home, store, bootstrap.plan(remote), command, engine, resumed);
            }
            access = plannedAccess(store, topology, login);
        }
        return access;
    }

    private static SshAccess directAccess(SshLogin login, String user) {
        if (login.identityFile().isEmpty()) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "--user %s is the topology's deploy user (global.user), and later commands log in as it with a key: give its key with -i KEY, or log in as root (or a sudoer) so that Flotilla authorizes a key of the cluster's own"
                            .formatted(user));
        }
        if (login.passphrase().isPresent()) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "--user %s is the topology's deploy user (global.user), and later commands log in as it with its key without asking for a passphrase, but %s is protected by one: log in as root (or a sudoer) so that Flotilla authorizes a key of the cluster's own, or give a key without a passphrase"
                            .formatted(user, login.identityFile().orElseThrow()));
        }
        return login.access();
    }

    private Plan plan(List<String> remote) {
        String user = topology.global().user();
        return Plan.builder(OperationName.BOOTSTRAP, store.name())
                // One action for every host, so that a wrong password or key is reported for each host it fails on.
                .then(Step.action(
                        "bootstrap/login",
                        "log in as %s to %s".formatted(login.user(), String.join(", ", remote)),
                        remote.getFirst(),
                        () -> onEveryHost(hosts, remote, (host, executor) -> privilege(host))))
                .then(Step.parallel(
                        "Create the deploy user " + user,
                        remote.stream()
                                .map(host -> (Step) Step.action(
                                        "bootstrap/user/" + host,
                                        "create user %s on %s and authorize the cluster's key".formatted(user, host),
                                        host,
                                        () -> createUser(host)))
                                .toList()))
                .build();
    }

    /** Logs in and finds how to act as root: the login is root, or may sudo without or with its password. */
    private Privilege privilege(String host) {
        return privileges.computeIfAbsent(host, ignored -> {
            Executor executor = hosts.apply(host);
            if (executor.check(List.of("id", "-u"), TIMEOUT).stdout().strip().equals("0")) {
                return Privilege.ROOT;
            }
            if (executor.run(List.of("sudo", "-n", "true"), TIMEOUT).succeeded()) {
                return Privilege.SUDO;
            }
            if (login.password().isPresent()) {
                CommandResult sudo = sudoWithPassword(executor, List.of("true"));
                if (sudo.succeeded()) {
                    return Privilege.SUDO_WITH_PASSWORD;
                }
                throw new OperationException(
                        ErrorCode.BOOTSTRAP_LOGIN,
                        "%s on %s cannot act as root: sudo refused %s (%s); log in as root, or as a user that may run sudo"
                                .formatted(
                                        login.user(),
                                        host,
                                        login.password().get().description(),
                                        sudo.stderr().strip()));
            }
            throw new OperationException(
                    ErrorCode.BOOTSTRAP_LOGIN,
                    "%s on %s is not root and may not run sudo without a password; log in as root, or give the password sudo asks for with -p or --password-file"
                            .formatted(login.user(), host));
        });
    }

    private void createUser(String host) {
        String user = topology.global().user();
        List<String> command = new ArrayList<>(List.of(
                "sh",
                "-c",
                CREATE_USER,
                "flotilla-bootstrap",
                user,
                topology.global().group(),
                publicKey(store)));
        command.addAll(parents(topology, host));
        Executor executor = hosts.apply(host);
        CommandResult result = switch (privilege(host)) {
            case ROOT -> executor.run(command, TIMEOUT);
            case SUDO -> {
                List<String> sudo = new ArrayList<>(List.of("sudo", "-n"));
                sudo.addAll(command);
                yield executor.run(sudo, TIMEOUT);
            }
            case SUDO_WITH_PASSWORD -> sudoWithPassword(executor, command);
        };
        if (!result.succeeded()) {
            throw new OperationException(
                    ErrorCode.BOOTSTRAP,
                    "cannot create the deploy user %s on %s (exit code %d): %s"
                            .formatted(
                                    user,
                                    host,
                                    result.exitCode(),
                                    Executor.lastLines((result.stderr() + result.stdout()).strip(), 10)));
        }
    }

    /**
     * Runs a command under {@code sudo -S}: the password travels as a file of mode 0600 that sudo
     * reads on its standard input and that is removed right after, never on a command line.
     */
    private CommandResult sudoWithPassword(Executor executor, List<String> command) {
        String file = "/tmp/.flotilla-sudo-" + HexFormat.of().formatHex(RANDOM.generateSeed(8));
        executor.put(file, (login.password().orElseThrow().read() + "\n").getBytes(StandardCharsets.UTF_8), "0600");
        List<String> sudo = new ArrayList<>(
                List.of("sh", "-c", "sudo -S -p '' \"$@\" < \"$0\"; status=$?; rm -f \"$0\"; exit $status", file));
        sudo.addAll(command);
        try {
            return executor.run(sudo, TIMEOUT);
        } finally {
            executor.remove(file);
        }
    }

    /**
     * The folders of the cluster on a host that its deploy user must own: the global deploy and
     * data roots (the agent lives under the first) and every instance's deploy, log and data folder.
     */
    static List<String> folders(Topology topology, String host) {
        Set<String> folders = new LinkedHashSet<>();
        String user = topology.global().user();
        folders.add(absolute(topology.global().deployDir(), user));
        if (topology.global().dataDir().startsWith("/")) {
            folders.add(topology.global().dataDir());
        }
        for (Instance instance : topology.instances()) {
            if (instance.host().equals(host)) {
                folders.add(instance.deployDir());
                folders.add(instance.logDir());
                if (instance.dataDir() != null) {
                    folders.add(instance.dataDir());
                }
            }
        }
        return List.copyOf(folders);
    }

    /**
     * What the root bootstrap makes for the deploy user where missing: the global deploy and data
     * roots and the folders that hold the instances' own dirs. The instances' dirs themselves are
     * made by the deploy, as the deploy user, with the mark that they are the cluster's.
     */
    static List<String> parents(Topology topology, String host) {
        Set<String> ownDirs = new LinkedHashSet<>();
        topology.instances().stream()
                .filter(instance -> instance.host().equals(host))
                .forEach(instance -> {
                    ownDirs.add(instance.deployDir());
                    ownDirs.addAll(instance.dataDirs());
                    ownDirs.add(instance.logDir());
                });
        Set<String> parents = new LinkedHashSet<>();
        for (String folder : folders(topology, host)) {
            String made = ownDirs.contains(folder) ? Path.of(folder).getParent().toString() : folder;
            boolean insideOwn = ownDirs.stream().anyMatch(own -> made.equals(own) || made.startsWith(own + "/"));
            if (!insideOwn) {
                parents.add(made);
            }
        }
        return List.copyOf(parents);
    }

    private static String absolute(String dir, String user) {
        return dir.startsWith("/") ? dir : Path.of("/home", user, dir).toString();
    }

    /**
     * Refuses, naming every host and folder, a deploy user that cannot create or write the cluster's
     * folders on the {@code remote} hosts. {@code hosts} log in as the deploy user: a deploy passes
     * its own connections, so that this check costs no login of its own.
     */
    static void checkWritable(Topology topology, SshAccess access, Hosts hosts, List<String> remote) {
        if (remote.isEmpty()) {
            return;
        }
        Map<String, String> unwritable = onEveryHost(hosts, remote, (host, executor) -> {
            List<String> command = new ArrayList<>(List.of("sh", "-c", UNWRITABLE, "flotilla-check"));
            command.addAll(folders(topology, host));
            return executor.check(command, TIMEOUT).stdout();
        });
        List<String> problems = new ArrayList<>();
        for (String host : remote) {
            List<Path> reported = new ArrayList<>();
            for (String[] fields : unwritable
                    .get(host)
                    .lines()
                    .map(line -> line.split("\t", 3))
                    .toList()) {
                Path folder = Path.of(fields[0]);
                // A folder inside one already named fails for the same reason: name the outer one only.
                if (reported.stream().noneMatch(folder::startsWith)) {
                    reported.add(folder);
                    problems.add(
                            "host %s: the deploy user %s cannot write %s: %s is owned by %s; give it to %s (chown), or deploy with --user root so that Flotilla prepares it"
                                    .formatted(host, access.user(), fields[0], fields[1], fields[2], access.user()));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new OperationException(ErrorCode.PREFLIGHT, String.join("\n", problems));
        }
    }

    /**
     * Runs {@code work} on every host at once over one pool of connections, and reports every host
     * that failed (a single failure as it is, several as one error naming each).
     */
    static <T> Map<String, T> onEveryHost(Hosts hosts, Collection<String> names, BiFunction<String, Executor, T> work) {
        Map<String, T> results = new ConcurrentHashMap<>();
        Map<String, RuntimeException> failures = new ConcurrentHashMap<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String host : names) {
                threads.submit(() -> {
                    try {
                        results.put(host, work.apply(host, hosts.apply(host)));
                    } catch (RuntimeException e) {
                        failures.put(host, e);
                    }
                });
            }
        }
        if (failures.size() == 1) {
            throw failures.values().iterator().next();
        }
        if (!failures.isEmpty()) {
            OperationException error = new OperationException(
                    ErrorCode.PREFLIGHT,
                    failures.values().stream()
                            .map(RuntimeException::getMessage)
                            .sorted()
                            .collect(Collectors.joining("\n")));
            failures.values().forEach(error::addSuppressed);
            throw error;
        }
        return results;
    }

    /**
     * Removes the cluster's key from the deploy user's authorized_keys on the given hosts (this
     * machine aside); the user stays, as with TiUP.
     */
    static void forgetClusterKey(ClusterStore store, Collection<String> hosts, SshAccess access) {
        if (access == null
                || !Path.of(access.identityFile()).equals(clusterKey(store))
                || !Files.exists(clusterKey(store))) {
            return;
        }
        List<String> remote =
                hosts.stream().filter(host -> !Hosts.isLocal(host)).toList();
        if (remote.isEmpty()) {
            return;
        }
        String key = publicKey(store);
        try (Hosts deployHosts = new Hosts(access, store.dir().resolve("known_hosts"))) {
            onEveryHost(
                    deployHosts,
                    remote,
                    (host, executor) ->
                            executor.check(List.of("sh", "-c", FORGET_KEY, "flotilla-destroy", key), TIMEOUT));
        }
    }

    /** Generates the cluster's ed25519 key pair once, the private key readable by its owner only. */
    private static void generateKey(ClusterStore store) {
        Path key = clusterKey(store);
        Path publicKey = Path.of(key + ".pub");
        try {
            if (Files.size(key) > 0 && Files.exists(publicKey)) {
                return;
            }
        } catch (IOException absent) {
            // Not generated yet.
        }
        try {
            Files.createDirectories(
                    key.getParent(),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.deleteIfExists(key);
            Files.deleteIfExists(publicKey);
            List<String> command = List.of(
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    "flotilla-" + store.name(),
                    "-f",
                    key.toString());
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0 || Files.size(key) == 0) {
                throw new OperationException(
                        ErrorCode.CLUSTER_KEY,
                        "cannot generate the cluster's SSH key %s with ssh-keygen: %s".formatted(key, output.strip()));
            }
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new OperationException(
                    ErrorCode.CLUSTER_KEY,
                    "cannot generate the cluster's SSH key %s: %s; ssh-keygen (package openssh-client) must be installed on this machine"
                            .formatted(key, e.getMessage()),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationException(
                    ErrorCode.INTERRUPTED, "interrupted while generating the cluster's SSH key", e);
        }
    }

    private static String publicKey(ClusterStore store) {
        Path file = Path.of(clusterKey(store) + ".pub");
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new OperationException(
                    ErrorCode.CLUSTER_KEY,
                    "cannot read the cluster's public key %s: %s; deploy the cluster again"
                            .formatted(file, e.getMessage()),
                    e);
        }
    }
}
