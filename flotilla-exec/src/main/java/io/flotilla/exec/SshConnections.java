package io.flotilla.exec;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.kex.KeyExchangeFactory;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * The SSH connections of one control process: one shared client on a few NIO threads, one
 * session per host reused by every command and transfer, and the two bounds on what runs at
 * once, kept here: channels in use, and sessions open (so file descriptors stay bounded however
 * many hosts a cluster has).
 */
public final class SshConnections implements AutoCloseable {
    private static final int NIO_THREADS = 2;
    /** Channels at once on one host's session: OpenSSH's MaxSessions allows 10 by default. */
    static final int CHANNELS_PER_SESSION = 8;

    private final SshOptions options;
    private final SshClient client;
    private final HostKeys hostKeys;
    /** Commands and transfers in flight over all hosts; each holds one channel. */
    private final Semaphore channels;
    /** Sessions open at once, each one TCP connection; idle ones are closed to make room. */
    private final Semaphore sessions;

    private final Map<String, SshExecutor> executors = new ConcurrentHashMap<>();

    static {
        // MINA makes BouncyCastle its security provider whenever the jar is on the class path (the SQL
        // endpoint's certificate code brings it); the JDK's own providers do SSH's key exchange and
        // signatures with less CPU (a quarter less to connect to 3 hosts and run a command). Ed25519 keys are
        // read and verified by the EdDSA library beside MINA either way.
        System.setProperty("org.apache.sshd.security.provider.BC.enabled", "false");
    }

    private final Map<Path, KeyPair> keys = new ConcurrentHashMap<>();

    private SshConnections(SshOptions options, int maxChannels, int maxSessions) {
        this.options = requireNonNull(options, "options is null");
        this.channels = new Semaphore(maxChannels, true);
        this.sessions = new Semaphore(maxSessions, true);
        this.client = SshClient.setUpDefaultClient();
        this.hostKeys = new HostKeys(options.knownHosts(), options.clusterKnownHosts(), options.acceptNewHostKeys());
        client.setServerKeyVerifier(hostKeys);
        // Only what the options say: no ~/.ssh/config, no default identities, no interactive prompts.
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        client.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE, UserAuthPasswordFactory.INSTANCE));
        client.setFilePasswordProvider(FilePasswordProvider.EMPTY);
        client.setKeyExchangeFactories(preferFastKeyExchanges(client.getKeyExchangeFactories()));
        CoreModuleProperties.NIO_WORKERS.set(client, NIO_THREADS);
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, Duration.ofSeconds(30));
        // Each command is a few small packets each way; Nagle would hold every one for an ACK.
        CoreModuleProperties.TCP_NODELAY.set(client, true);
        CoreModuleProperties.AUTH_TIMEOUT.set(client, options.authTimeout());
        client.start();
    }

    /**
     * Key exchanges first offered, in this order: ML-KEM-768 with X25519 (post-quantum hybrid, as
     * OpenSSH 9.9 and later offer it), then X25519 alone. MINA's default puts sntrup761x25519 first,
     * which OpenSSH 8.5 to 9.8 then choose; its Java implementation costs 0.3 s of CPU per login
     * (measured: 3 logins 1.2 s against 0.3 s), the most expensive part of reaching a fleet. It stays
     * on offer after them, as does every other default, so no host that accepted Flotilla before is
     * refused now. Go's SSH library (TiUP) makes the same choice: it has no sntrup761 at all.
     */
    static List<KeyExchangeFactory> preferFastKeyExchanges(List<KeyExchangeFactory> defaults) {
        List<String> first = List.of("mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org");
        List<KeyExchangeFactory> ordered = new ArrayList<>();
        for (String name : first) {
            defaults.stream().filter(factory -> factory.getName().equals(name)).forEach(ordered::add);
        }
        defaults.stream().filter(factory -> !first.contains(factory.getName())).forEach(ordered::add);
        return List.copyOf(ordered);
    }

    /** Connections bounded to {@code maxChannels} concurrent channels and {@code maxSessions} open sessions. */
    public static SshConnections start(SshOptions options, int maxChannels, int maxSessions) {
        if (maxChannels < 1 || maxSessions < 1) {
            throw new IllegalArgumentException("the SSH bounds must be positive");
        }
        return new SshConnections(options, maxChannels, maxSessions);
    }

    /** The executor for a host; its session opens on first use and is shared by every caller. */
    public Executor executor(String host) {
        requireNonNull(host, "host is null");
        return executors.computeIfAbsent(host, key -> new SshExecutor(key, this));
    }

    SshOptions options() {
        return options;
    }

    SshClient client() {
        return client;
    }

    HostKeys hostKeys() {
        return hostKeys;
    }

    /** Takes a channel of the host's own bound, then one of the global bound. */
    void acquireChannel(String host, Semaphore hostChannels) {
        try {
            hostChannels.acquire();
            try {
                channels.acquire();
            } catch (InterruptedException e) {
                hostChannels.release();
                throw e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExecException(host, "interrupted while waiting to run on %s".formatted(host), e);
        }
    }

    void releaseChannel(Semaphore hostChannels) {
        channels.release();
        hostChannels.release();
    }

    /** Takes a session slot, closing the longest idle session of another host when none is free. */
    void acquireSession(SshExecutor requester) {
        try {
            while (!sessions.tryAcquire()) {
                List<SshExecutor> idle = new ArrayList<>(executors.values());
                idle.removeIf(each -> each == requester || !each.idle());
                idle.sort(Comparator.comparingLong(SshExecutor::lastUsed));
                boolean freed = false;
                for (SshExecutor each : idle) {
                    if (each.closeIfIdle()) {
                        freed = true;
                        break;
                    }
                }
                if (!freed && sessions.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExecException(
                    requester.host(), "interrupted while waiting to connect to %s".formatted(requester.host()), e);
        }
    }

    void releaseSession() {
        sessions.release();
    }

    /** The key pair of an identity file, read once; a wrong passphrase fails here, naming the file. */
    KeyPair key(String host, Path file) {
        return keys.computeIfAbsent(file, path -> readKey(host, path));
    }

    private KeyPair readKey(String host, Path file) {
        return SshKeyFile.read(host, file, options.passphrases().passphrase(file));
    }

    /** Closes every session and the client; idempotent. */
    @Override
    public void close() {
        for (SshExecutor executor : executors.values()) {
            executor.close();
        }
        executors.clear();
        try {
            client.stop();
        } finally {
            try {
                client.close();
            } catch (IOException ignored) {
                // Stopping already released the sockets and threads.
            }
        }
    }
}
