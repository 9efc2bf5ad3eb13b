package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.AgentInfo;
import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.Pem;
import io.flotilla.agent.api.RestartPolicy;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;

/**
 * One running agent: the lock on its directory, the supervisor and the HTTP API over TLS.
 * Closing it stops the API and the supervision; the component processes keep running.
 */
public final class Agent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Agent.class.getName());

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Supervisor supervisor;
    private final AgentServer server;
    private final HealthCheckServer healthChecks;
    private final CountDownLatch shutdownAsked;
    private final AtomicBoolean closed;

    private Agent(
            Path dir,
            FileChannel lockChannel,
            FileLock lock,
            Supervisor supervisor,
            AgentServer server,
            HealthCheckServer healthChecks,
            CountDownLatch shutdownAsked) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.supervisor = supervisor;
        this.server = server;
        this.healthChecks = healthChecks;
        this.shutdownAsked = shutdownAsked;
        this.closed = new AtomicBoolean();
    }

    /**
     * Starts the agent of {@code dir} on {@code listen} ({@code host:port}): checks the token file and
     * reads the TLS key and certificate (there is no plain HTTP), takes
     * the directory's lock, binds the address, writes {@code agent.pid}, then adopts or starts the
     * instances that should run.
     *
     * @throws AgentException with code {@link Code#CANNOT_START} and a message saying what to fix
     */
    public static Agent start(Path dir, String listen, RestartPolicy policy) {
        return start(dir, listen, null, policy);
    }

    /**
     * Starts the agent as {@link #start(Path, String, RestartPolicy)} does, and when {@code checkListen}
     * is not null, also answers HAProxy's agent-check there (see {@link HealthCheckServer}).
     */
    public static Agent start(Path dir, String listen, String checkListen, RestartPolicy policy) {
        requireNonNull(dir, "dir is null");
        requireNonNull(listen, "listen is null");
        requireNonNull(policy, "policy is null");
        InetSocketAddress address = parseAddress(listen);
        if (!Files.isDirectory(dir)) {
            throw cannotStart("agent directory %s does not exist".formatted(dir));
        }
        String token = readToken(dir.resolve("token"));
        SSLContext tls = readTls(dir);
        FileChannel lockChannel = null;
        Supervisor supervisor = null;
        AgentServer server = null;
        HealthCheckServer healthChecks = null;
        try {
            lockChannel = FileChannel.open(
                    dir.resolve("agent.lock"),
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            FileLock lock = tryLock(lockChannel);
            if (lock == null) {
                throw cannotStart("another agent already runs on %s (pid %s in %s)"
                        .formatted(dir, readQuietly(dir.resolve("agent.pid")), dir.resolve("agent.pid")));
            }
            supervisor = Supervisor.open(dir, policy);
            ProbeRunner probes = new ProbeRunner();
            CountDownLatch shutdownAsked = new CountDownLatch(1);
            Instant startedAt = Instant.now();
            AgentInfo info =
                    new AgentInfo(ProcessHandle.current().pid(), version(), startedAt, hostName(), dir.toString());
            try {
                server = AgentServer.start(address, tls, token, supervisor, probes, info, shutdownAsked::countDown);
            } catch (BindException e) {
                throw cannotStart("agent cannot listen on %s: address in use".formatted(listen));
            }
            if (checkListen != null) {
                try {
                    healthChecks = HealthCheckServer.start(
                            parseAddress(checkListen), supervisor, probes, server.groups()::writable);
                } catch (BindException e) {
                    throw cannotStart("agent cannot answer health checks on %s: address in use".formatted(checkListen));
                }
            }
            AtomicFiles.write(dir.resolve("agent.pid"), (info.pid() + "\n").getBytes(UTF_8));
            LOG.log(
                    Level.INFO,
                    "agent %s started, pid %d, listening on https://%s, dir %s"
                            .formatted(info.version(), info.pid(), listen, dir));
            supervisor.recover();
            server.groups().load();
            return new Agent(dir, lockChannel, lock, supervisor, server, healthChecks, shutdownAsked);
        } catch (IOException | RuntimeException e) {
            if (healthChecks != null) {
                healthChecks.close();
            }
            if (server != null) {
                server.close();
                deleteQuietly(dir.resolve("agent.pid"));
            }
            if (supervisor != null) {
                supervisor.close();
            }
            closeQuietly(lockChannel);
            if (e instanceof AgentException agentException) {
                throw agentException;
            }
            throw cannotStart("agent cannot start on %s: %s".formatted(dir, e));
        }
    }

    // Another process holding the lock gives null; this JVM holding it throws instead.
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException ignored) {
            return null;
        }
    }

    /** The address the API is bound to. */
    public InetSocketAddress address() {
        return server.address();
    }

    /** The port where the agent answers HAProxy's agent-check; -1 when it does not. */
    int checkPort() {
        return healthChecks == null ? -1 : healthChecks.port();
    }

    public Supervisor supervisor() {
        return supervisor;
    }

    /** Blocks until a client asks the agent to shut down. */
    public void awaitShutdownRequest() throws InterruptedException {
        shutdownAsked.await();
    }

    /** Stops the API and the supervision; idempotent. The components keep running. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.close();
        if (healthChecks != null) {
            healthChecks.close();
        }
        supervisor.close();
        try {
            Files.deleteIfExists(dir.resolve("agent.pid"));
            lock.release();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot clean up %s: %s".formatted(dir, e));
        } finally {
            closeQuietly(lockChannel);
        }
        LOG.log(Level.INFO, "agent stopped; its instances keep running");
    }

    /** Reads the bearer token; refuses a file that group or others may read, and an empty one. */
    static String readToken(Path file) {
        Set<PosixFilePermission> permissions;
        String token;
        try {
            permissions = Files.getPosixFilePermissions(file);
            token = Files.readString(file, UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw cannotStart(
                    "agent token file %s does not exist; create it with a random token and mode 0600".formatted(file));
        } catch (IOException e) {
            throw cannotStart("cannot read agent token file %s: %s".formatted(file, e));
        }
        if (permissions.stream().anyMatch(permission -> !permission.name().startsWith("OWNER_"))) {
            throw cannotStart("agent token file %s has mode %s; it must be readable by its owner only: chmod 600 %s"
                    .formatted(file, octal(permissions), file));
        }
        if (token.isEmpty()) {
            throw cannotStart("agent token file %s is empty; write a random token into it".formatted(file));
        }
        return token;
    }

    /**
     * The API's TLS identity from {@link AgentTls#KEY_FILE} (mode 0600) and {@link
     * AgentTls#CERTIFICATE_FILE}. Without them the agent does not start: it never serves its token's
     * API in clear.
     */
    static SSLContext readTls(Path dir) {
        Path keyFile = dir.resolve(AgentTls.KEY_FILE);
        Path certificateFile = dir.resolve(AgentTls.CERTIFICATE_FILE);
        String rotate = "run `flotilla cluster tls rotate %s` on the control machine".formatted(cluster(dir));
        if (!Files.exists(keyFile) || !Files.exists(certificateFile)) {
            throw cannotStart("agent TLS files %s and %s are missing (its API is served over TLS only); %s"
                    .formatted(keyFile, certificateFile, rotate));
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(keyFile);
            if (permissions.stream().anyMatch(permission -> !permission.name().startsWith("OWNER_"))) {
                throw cannotStart("agent TLS key %s has mode %s; it must be readable by its owner only: chmod 600 %s"
                        .formatted(keyFile, octal(permissions), keyFile));
            }
            PrivateKey key = Pem.privateKey(Files.readString(keyFile, UTF_8), keyFile.toString());
            X509Certificate certificate = Pem.certificates(
                            Files.readString(certificateFile, UTF_8), certificateFile.toString())
                    .getFirst();
            if (!AgentTls.matches(key, certificate)) {
                throw cannotStart("agent TLS key %s is not the key of the certificate %s; %s"
                        .formatted(keyFile, certificateFile, rotate));
            }
            return AgentTls.server(key, certificate);
        } catch (IOException e) {
            throw cannotStart("cannot read agent TLS files %s and %s: %s".formatted(keyFile, certificateFile, e));
        } catch (IllegalArgumentException e) {
            throw cannotStart("%s; %s".formatted(e.getMessage(), rotate));
        }
    }

    /** The cluster an agent's folder ({@code flotilla-agent-<cluster>}) belongs to, for what to run. */
    private static String cluster(Path dir) {
        String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
        return name.startsWith("flotilla-agent-") && name.length() > "flotilla-agent-".length()
                ? name.substring("flotilla-agent-".length())
                : "NAME";
    }

    static InetSocketAddress parseAddress(String listen) {
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) {
            throw cannotStart("listen address %s is not host:port".formatted(listen));
        }
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(listen.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host, port);
        } catch (NumberFormatException e) {
            throw cannotStart("listen address %s has no valid port".formatted(listen));
        }
    }

    private static String octal(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission permission : permissions) {
            mode |= 1 << (8 - permission.ordinal());
        }
        return "%04o".formatted(mode);
    }

    private static String version() {
        String version = Agent.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException ignored) {
            String host = System.getenv("HOSTNAME");
            return host == null ? "unknown" : host;
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException ignored) {
            return "unknown";
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // The start already failed; that is the error worth reporting.
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing a lock file cannot lose data.
        }
    }

    private static AgentException cannotStart(String message) {
        return new AgentException(Code.CANNOT_START, message);
    }
}
