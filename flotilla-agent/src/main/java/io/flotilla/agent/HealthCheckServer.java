package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.InstanceStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Predicate;

/**
 * Answers HAProxy's {@code agent-check}: HAProxy connects, sends an instance id and a newline, and
 * reads {@code up} or {@code down}. "Up" is the instance's full readiness (for a replica: its IO
 * and SQL threads run), so the gateway takes a replica whose replication broke out of the read
 * pool even while it still accepts connections. It reveals nothing but that one word, so it
 * needs no token. Since anyone who reaches the port may ask, what it holds is bounded: answers are
 * cached briefly, and only for the instances the agent supervises, so that frequent checks cost
 * one probe; at most {@value #MAX_CONNECTIONS} connections are answered at once, and more are
 * closed at once.
 *
 * <p>The write pool of an HA cluster asks {@code write ID} instead: "up" only while that instance
 * leads its replication group and was promoted ({@link GroupMember#writable}), so the gateway
 * follows the leader key without a reload. That answer is not cached: it changes at a failover.
 */
public final class HealthCheckServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HealthCheckServer.class.getName());
    private static final int MAX_REQUEST = 256;
    private static final int READ_TIMEOUT_MILLIS = 2000;
    private static final long CACHE_NANOS = 500_000_000L;
    static final int MAX_CONNECTIONS = 64;
    private static final String WRITE = "write ";

    private final ServerSocket socket;
    private final Supervisor supervisor;
    private final ProbeRunner probes;
    private final Predicate<String> writable;
    private final Map<String, Answer> cache = new ConcurrentHashMap<>();
    private final Semaphore answering = new Semaphore(MAX_CONNECTIONS);

    private record Answer(boolean up, long at) {}

    private HealthCheckServer(
            ServerSocket socket, Supervisor supervisor, ProbeRunner probes, Predicate<String> writable) {
        this.socket = socket;
        this.supervisor = supervisor;
        this.probes = probes;
        this.writable = writable;
    }

    /** Answers readiness only; every {@code write ID} is answered "down". */
    public static HealthCheckServer start(InetSocketAddress address, Supervisor supervisor, ProbeRunner probes)
            throws IOException {
        return start(address, supervisor, probes, id -> false);
    }

    /** Answers readiness, and {@code write ID} by {@code writable}. */
    public static HealthCheckServer start(
            InetSocketAddress address, Supervisor supervisor, ProbeRunner probes, Predicate<String> writable)
            throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(address);
        HealthCheckServer server = new HealthCheckServer(socket, supervisor, probes, writable);
        Thread.ofPlatform().daemon().name("agent-check-accept").start(server::acceptLoop);
        return server;
    }

    public int port() {
        return socket.getLocalPort();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                if (!answering.tryAcquire()) {
                    connection.close();
                    continue;
                }
                Thread.ofVirtual().name("agent-check").start(() -> {
                    try {
                        answer(connection);
                    } finally {
                        answering.release();
                    }
                });
            } catch (SocketException closed) {
                return;
            } catch (Throwable e) {
                LOG.log(Level.WARNING, "agent-check accept failed: " + e);
            }
        }
    }

    private void answer(Socket connection) {
        try (connection) {
            String id = readLine(connection, System.nanoTime() + READ_TIMEOUT_MILLIS * 1_000_000L);
            OutputStream out = connection.getOutputStream();
            boolean up = id.startsWith(WRITE) ? writable.test(id.substring(WRITE.length())) : isUp(id);
            out.write((up ? "up\n" : "down\n").getBytes(US_ASCII));
            out.flush();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "agent-check answer failed: " + e);
        }
    }

    /**
     * The id the check sends, read by {@code deadline} for the whole line: a client sending a byte
     * now and then holds its connection no longer than one that sends nothing.
     */
    private static String readLine(Socket connection, long deadline) throws IOException {
        InputStream in = connection.getInputStream();
        StringBuilder line = new StringBuilder();
        while (line.length() < MAX_REQUEST) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new SocketTimeoutException("no id within %d ms".formatted(READ_TIMEOUT_MILLIS));
            }
            connection.setSoTimeout((int) left);
            int read = in.read();
            if (read == -1 || read == '\n') {
                break;
            }
            if (read != '\r') {
                line.append((char) read);
            }
        }
        return line.toString().strip();
    }

    boolean isUp(String id) {
        Answer cached = cache.get(id);
        long now = System.nanoTime();
        if (cached != null && now - cached.at() < CACHE_NANOS) {
            return cached.up();
        }
        boolean up;
        try {
            up = supervisor.status(id).state() == InstanceStatus.State.RUNNING
                    && probes.run(supervisor.spec(id).probe()).ready();
        } catch (AgentException unknown) {
            cache.remove(id); // an instance removed since: only the supervised ones hold an answer
            return false;
        }
        cache.put(id, new Answer(up, now));
        return up;
    }

    /** How many answers are cached; tests read it to see that what anyone may ask stays bounded. */
    int cachedAnswers() {
        return cache.size();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot close the agent-check socket: " + e);
        }
    }
}
