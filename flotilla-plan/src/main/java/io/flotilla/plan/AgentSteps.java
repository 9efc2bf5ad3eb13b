package io.flotilla.plan;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentInfo;
import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.Pem;
import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.Step;
import io.flotilla.tls.CertificateAuthority;
import io.flotilla.tls.IssuedCertificate;
import io.flotilla.topology.Instance;
import io.flotilla.wait.Wait;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The steps that put a cluster's agent on a host, start it (detached, or as the deploy user's
 * systemd unit), reach it before an operation, and remove it with the folders it leaves empty.
 */
final class AgentSteps {
    private static final Duration AGENT_START_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration AGENT_POLL = Duration.ofMillis(100);

    /** Stops the agent of the folder $1 by its agent.pid, if that process is this folder's agent. */
    private static final String STOP_AGENT = """
            pid=$(cat -- "$1/agent.pid" 2>/dev/null) || exit 0
            case "$pid" in ''|*[!0-9]*) exit 0 ;; esac
            ours() { tr '\\0' '\\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -A1 -xF -- --dir | grep -qxF -- "$1" \
              && tr '\\0' '\\n' < "/proc/$pid/cmdline" | grep -qxF io.flotilla.agent.AgentMain; }
            ours "$1" || exit 0
            kill -TERM "$pid" 2>/dev/null || exit 0
            for attempt in $(seq 100); do
              kill -0 "$pid" 2>/dev/null || exit 0
              sleep 0.1
            done
            ours "$1" && kill -KILL "$pid" 2>/dev/null
            exit 0
            """;

    private final ClusterContext cluster;

    AgentSteps(ClusterContext cluster) {
        this.cluster = cluster;
    }

    /** The agent's answer, when an agent of this cluster (same token) already runs on the host. */
    Optional<AgentInfo> agentAnswers(String host) {
        try {
            return Optional.of(cluster.agent(host).info());
        } catch (AgentException ignored) {
            return Optional.empty();
        }
    }

    Step.Action prepareHost(String host) {
        return Step.action("deploy/agent/" + host, "install agent on " + host, host, () -> install(host));
    }

    /**
     * Puts the agent's runtime, program, token, secrets and TLS key and certificate on the host; each
     * is left alone when it is already there.
     */
    private void install(String host) {
        Executor executor = cluster.executor(host);
        Path dir = cluster.agentDir(host);
        executor.mkdirs(dir.toString(), "0700");
        for (String sub : List.of("lib", "secrets", "instances", "run", "tls")) {
            executor.mkdirs(dir.resolve(sub).toString(), "0700");
        }
        installRuntime(executor, dir);
        for (Path entry : cluster.agentRuntime().classpath()) {
            copyTree(
                    executor,
                    entry,
                    dir.resolve("lib").resolve(entry.getFileName().toString()));
        }
        executor.put(
                dir.resolve("token").toString(),
                cluster.secrets().agentToken().getBytes(StandardCharsets.UTF_8),
                "0600");
        executor.put(
                dir.resolve("secrets/root-password").toString(),
                cluster.secrets().rootPassword().getBytes(StandardCharsets.UTF_8),
                "0600");
        // The agent's replication verbs point a replica at its primary without the password in a request.
        executor.put(
                dir.resolve("secrets/replication-password").toString(),
                cluster.secrets().replicationPassword().getBytes(StandardCharsets.UTF_8),
                "0600");
        installCertificate(executor, dir, host);
    }

    /**
     * Gives the agent a key and a certificate of the cluster's CA for the host, unless it has a key
     * and that CA's certificate for this host: a resumed deploy issues nothing new. The key is not
     * read back (it never leaves the host once put); the agent refuses to start with a key that does
     * not match its certificate.
     */
    private void installCertificate(Executor executor, Path dir, String host) {
        CertificateAuthority ca = cluster.tls().issuer();
        Path key = dir.resolve(AgentTls.KEY_FILE);
        Path certificate = dir.resolve(AgentTls.CERTIFICATE_FILE);
        CommandResult installed = executor.run(List.of("cat", certificate.toString()), Duration.ofSeconds(30));
        if (installed.succeeded() && executor.exists(key.toString()) && issuedFor(ca, host, installed.stdout())) {
            return;
        }
        IssuedCertificate issued = ca.issue(host);
        executor.put(key.toString(), issued.keyPem(), "0600");
        executor.put(certificate.toString(), issued.certificatePem(), "0644");
    }

    private static boolean issuedFor(CertificateAuthority ca, String host, String pem) {
        try {
            return ca.issuedFor(
                    host, Pem.certificates(pem, "agent TLS certificate").getFirst());
        } catch (IllegalArgumentException ignored) {
            return false;
        }
    }

    /**
     * Gives the host's agent a certificate of the rotation's CA (the one {@link ClusterContext#tls()}
     * issues from and trusts alone) and restarts it, which leaves its instances running; done once the
     * agent answers with that CA trusted. The agent's program is brought up to this Flotilla's too,
     * since one from before TLS cannot serve it.
     */
    Step.Action rotateStep(String caId, String host) {
        return Step.action(
                "tls-rotate/%s/agent/%s".formatted(caId, host), "new certificate for agent on " + host, host, () -> {
                    install(host);
                    if (agentAnswers(host).isPresent()) {
                        return;
                    }
                    stopAgent(host);
                    startAgent(host);
                });
    }

    /**
     * Stops the host's agent, whatever it answers to (an agent from before TLS, or with a certificate
     * of a CA that is lost): the process named in its {@code agent.pid}, and only when its command line
     * names this agent's folder, so that a pid used again by another process is left alone. SIGTERM,
     * then SIGKILL after 10 s; its instances keep running either way.
     */
    private void stopAgent(String host) {
        Path dir = cluster.agentDir(host);
        CommandResult stopped = cluster.executor(host)
                .run(List.of("sh", "-c", STOP_AGENT, "stop-agent", dir.toString()), Duration.ofSeconds(30));
        if (!stopped.succeeded()) {
            throw new OperationException(
                    ErrorCode.AGENT_START,
                    "cannot stop the agent on %s to restart it (exit code %d): %s"
                            .formatted(
                                    host,
                                    stopped.exitCode(),
                                    Executor.lastLines(stopped.stderr().strip(), 5)));
        }
    }

    /**
     * Puts the agent's Java runtime in {@code <agent dir>/jre}, and nothing at all when the runtime
     * there already is this image (its sha256 is kept beside it). Otherwise the tarball goes over one
     * channel straight into {@code tar}, which unpacks it while it arrives, beside the old runtime; it
     * replaces the old one only once the bytes written on the host have the image's sha256.
     */
    private void installRuntime(Executor executor, Path dir) {
        RuntimeImage image = cluster.agentRuntime().image();
        Path runtime = dir.resolve(AgentRuntime.RUNTIME_DIR);
        Duration timeout = Duration.ofMinutes(5);
        CommandResult installed = executor.run(
                List.of("cat", runtime.resolve(AgentRuntime.IMAGE_MARKER).toString()), Duration.ofSeconds(30));
        if (installed.succeeded() && installed.stdout().strip().equals(image.sha256())) {
            return;
        }
        String tarball = dir.resolve("jre.tar.gz").toString();
        String unpacked = dir.resolve(AgentRuntime.RUNTIME_DIR + ".new").toString();
        String script = String.join(
                "\n",
                "set -e",
                "rm -rf -- \"$2\" \"$3\"",
                "mkdir -m 0755 -- \"$3\"",
                "tee -- \"$2\" | tar -xzf - -C \"$3\"",
                "actual=$(sha256sum -- \"$2\" | cut -d ' ' -f 1)",
                "if [ \"$actual\" != \"$1\" ]; then echo \"sha256 $actual\" >&2; exit 65; fi",
                "echo \"$1\" > \"$3/" + AgentRuntime.IMAGE_MARKER + "\"",
                // A running agent keeps its open files; it uses the new runtime from its next start.
                "rm -rf -- \"$4\"",
                "mv -- \"$3\" \"$4\"",
                "rm -f -- \"$2\"");
        CommandResult result;
        try (InputStream in = Files.newInputStream(image.tarball())) {
            result = executor.stream(
                    List.of(
                            "sh",
                            "-c",
                            script,
                            "install-runtime",
                            image.sha256(),
                            tarball,
                            unpacked,
                            runtime.toString()),
                    in,
                    OutputStream.nullOutputStream(),
                    timeout);
        } catch (IOException e) {
            throw new OperationException(
                    ErrorCode.AGENT_RUNTIME,
                    "cannot read the agent's Java runtime %s: %s; delete it to have it built again"
                            .formatted(image.tarball(), e.getMessage()),
                    e);
        }
        if (result.exitCode() == 65) {
            throw new OperationException(
                    ErrorCode.AGENT_RUNTIME,
                    "the agent's Java runtime arrived damaged on %s: %s has %s, expected %s (from %s); deploy again"
                            .formatted(
                                    executor.host(),
                                    tarball,
                                    result.stderr().strip(),
                                    image.sha256(),
                                    image.tarball()));
        }
        if (!result.succeeded()) {
            throw new OperationException(
                    ErrorCode.AGENT_RUNTIME,
                    "cannot unpack the agent's Java runtime into %s on %s (exit code %d): %s"
                            .formatted(
                                    unpacked,
                                    executor.host(),
                                    result.exitCode(),
                                    result.stderr().strip()));
        }
    }

    private static void copyTree(Executor executor, Path source, Path target) {
        if (!Files.isDirectory(source)) {
            executor.copy(source, target.toString(), "0644");
            return;
        }
        try (var walk = Files.walk(source)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                Path relative = source.relativize(file);
                Path destination = target.resolve(relative.toString());
                executor.mkdirs(destination.getParent().toString(), "0755");
                executor.copy(file, destination.toString(), "0644");
            }
        } catch (IOException e) {
            throw new OperationException(
                    ErrorCode.AGENT_INSTALL, "cannot read %s: %s".formatted(source, e.getMessage()), e);
        }
    }

    /**
     * Starts the host's agent unless it already answers; it then re-adopts the instances it supervised.
     * Where the deploy user's systemd runs (systemd on the host, lingering on for the user), the agent
     * is its user unit ({@link AgentUnit}); elsewhere it is started detached.
     */
    private void startAgent(String host) throws InterruptedException {
        try {
            cluster.agent(host).info();
            return;
        } catch (AgentException e) {
            if (e.code() == AgentException.Code.NOT_TRUSTED) {
                // Something holds the agent's port that is not the agent this cluster trusts: a second
                // agent would only wait for the port; say so now.
                throw e;
            }
        }
        Path dir = cluster.agentDir(host);
        Executor executor = cluster.executor(host);
        if (!executor.exists(dir.resolve("token").toString())) {
            throw new OperationException(
                    ErrorCode.NOT_DEPLOYED,
                    "the agent of cluster '%s' is not installed on %s (%s); run `flotilla cluster deploy` first"
                            .formatted(cluster.name(), host, dir));
        }
        List<String> command = new ArrayList<>(List.of(
                dir.resolve(AgentRuntime.RUNTIME_DIR).resolve("bin/java").toString(),
                "-Xms8m",
                "-Xmx48m",
                "-Xss512k",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:ReservedCodeCacheSize=16m",
                // An agent out of memory exits, to be started again (systemd, or the next command),
                // rather than live on with threads that died.
                "-XX:+ExitOnOutOfMemoryError",
                "-cp",
                dir.resolve("lib").toString() + "/*:" + classDirs(dir),
                "io.flotilla.agent.AgentMain",
                "--dir",
                dir.toString(),
                "--listen",
                cluster.agentAddress(host)));
        cluster.checkAddress(host).ifPresent(address -> {
            command.add("--check-listen");
            command.add(address);
        });
        AgentUnit unit = new AgentUnit(cluster.name());
        boolean systemd = AgentUnit.available(executor);
        if (systemd) {
            unit.start(executor, command, dir, dir.resolve("agent.log"));
        } else {
            executor.startDetached(command, dir.resolve("agent.log").toString());
        }
        AtomicReference<AgentException> last = new AtomicReference<>();
        boolean answered = Wait.until(AGENT_START_TIMEOUT, AGENT_POLL, () -> {
            try {
                cluster.agent(host).info();
                return true;
            } catch (AgentException e) {
                last.set(e);
                return false;
            }
        });
        if (answered) {
            return;
        }
        var log = executor.run(
                List.of("tail", "-n", "20", dir.resolve("agent.log").toString()), Duration.ofSeconds(5));
        throw new OperationException(
                ErrorCode.AGENT_START,
                "the agent on %s did not answer within %d s: %s\n  last lines of %s:\n    %s%s"
                        .formatted(
                                host,
                                AGENT_START_TIMEOUT.toSeconds(),
                                last.get() == null ? "" : last.get().getMessage(),
                                dir.resolve("agent.log"),
                                log.stdout().strip().replace("\n", "\n    "),
                                systemd
                                        ? "\n  it runs as the systemd user unit %s of %s: see `systemctl --user status %s` there"
                                                .formatted(
                                                        unit.name(),
                                                        cluster.topology()
                                                                .global()
                                                                .user(),
                                                        unit.name())
                                        : ""),
                last.get());
    }

    /** Class directories (a build tree's target/classes) copied into lib/ go on the class path by name. */
    private String classDirs(Path dir) {
        return String.join(
                ":",
                cluster.agentRuntime().classpath().stream()
                        .filter(Files::isDirectory)
                        .map(entry -> dir.resolve("lib")
                                .resolve(entry.getFileName().toString())
                                .toString())
                        .toList());
    }

    /** The step that starts the host's agent once it is installed. */
    Step.Action startStep(String operation, String host) {
        return Step.action(
                "%s/start-agent/%s".formatted(operation, host), "start agent on " + host, host, () -> startAgent(host));
    }

    /** Reaches the agent of every host of the cluster, before an operation. */
    Step ensureAgents(String operation) {
        return reachAgents(operation, cluster.topology().hosts());
    }

    /** Reaches the agents of {@code hosts}, starting those that do not answer. */
    Step reachAgents(String operation, Collection<String> hosts) {
        return Step.parallel(
                "Reach agents",
                hosts.stream()
                        .map(host -> (Step) Step.action(
                                "%s/reach-agent/%s".formatted(operation, host), "reach agent on " + host, host, () -> {
                                    if (operation.equals("destroy") && !agentInstalled(host)) {
                                        return; // A deploy that stopped before installing it: nothing runs there.
                                    }
                                    startAgent(host);
                                }))
                        .toList());
    }

    Step removeAgents(String operation, Collection<String> hosts) {
        return Step.parallel(
                "Remove agents",
                hosts.stream()
                        .map(host -> (Step) Step.action(
                                "%s/remove-agent/%s".formatted(operation, host),
                                "remove agent on " + host,
                                host,
                                () -> removeAgent(host)))
                        .toList());
    }

    boolean agentInstalled(String host) {
        return cluster.executor(host)
                .exists(cluster.agentDir(host).resolve("token").toString());
    }

    /**
     * Shuts the agent down and waits for its process to be gone (killing it after 10 s) before removing its
     * files. An agent that is a systemd user unit is stopped by systemd, and its unit removed.
     */
    private void removeAgent(String host) throws InterruptedException {
        Executor executor = cluster.executor(host);
        AgentUnit unit = new AgentUnit(cluster.name());
        if (unit.installed(executor)) {
            unit.remove(executor);
        }
        Optional<AgentInfo> info = agentAnswers(host);
        if (info.isPresent()) {
            cluster.agent(host).shutdown();
            String pid = String.valueOf(info.get().pid());
            boolean exited = Wait.until(
                    Duration.ofSeconds(10),
                    AGENT_POLL,
                    () -> !executor.run(List.of("kill", "-0", pid), Duration.ofSeconds(5))
                            .succeeded());
            if (!exited) {
                executor.run(List.of("kill", "-9", pid), Duration.ofSeconds(5));
            }
        }
        executor.remove(cluster.agentDir(host).toString());
        removeEmptyParents(host);
    }

    /** The folders that held the instances' dirs go too when nothing else is left in them (another cluster may share them). */
    private void removeEmptyParents(String host) {
        TreeSet<Path> parents = new TreeSet<>(
                Comparator.comparingInt(Path::getNameCount).reversed().thenComparing(Comparator.naturalOrder()));
        parents.add(cluster.agentDir(host).getParent());
        for (Instance instance : cluster.topology().instances()) {
            if (instance.host().equals(host)) {
                for (String dir : instance.dataDir() == null
                        ? List.of(instance.deployDir(), instance.logDir())
                        : List.of(instance.deployDir(), instance.logDir(), instance.dataDir())) {
                    Path parent = Path.of(dir).getParent();
                    if (parent != null && parent.getNameCount() > 1) {
                        parents.add(parent);
                    }
                }
            }
        }
        Executor executor = cluster.executor(host);
        for (Path parent : parents) {
            executor.run(List.of("rmdir", "--ignore-fail-on-non-empty", parent.toString()), Duration.ofSeconds(10));
        }
    }
}
