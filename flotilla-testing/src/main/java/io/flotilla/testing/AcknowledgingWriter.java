package io.flotilla.testing;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The writer a data-safety claim is checked with: it inserts unique ids into {@code table}
 * ({@code id BIGINT PRIMARY KEY}) one after another, over a real JDBC connection, and records
 * each insert the server acknowledged. Whatever fails (refused, killed, timed out) is not
 * acknowledged and is counted as a refusal; the writer then asks {@code target} again where to
 * write, and it also asks before each insert, so it follows a target that moves. A reader then
 * finds every acknowledged id, or the claim is false.
 */
public final class AcknowledgingWriter implements AutoCloseable {
    /** Where to write: a name for the counts, and a JDBC URL. */
    public record Target(String name, String url) {
        public Target {
            requireNonNull(name, "name is null");
            requireNonNull(url, "url is null");
        }
    }

    private final String table;
    private final Properties connection;
    private final Supplier<Optional<Target>> target;
    private final Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> byTarget = new ConcurrentHashMap<>();
    private final AtomicLong lastAcknowledgedAt = new AtomicLong();
    private final AtomicLong refusals = new AtomicLong();
    private final AtomicLong nextId = new AtomicLong();
    private final Thread thread;
    private volatile boolean stop;

    /**
     * Starts writing.
     *
     * @param connection the JDBC connection properties (user, password, timeouts)
     * @param target where to write now; empty while nowhere takes writes
     */
    public AcknowledgingWriter(String table, Properties connection, Supplier<Optional<Target>> target) {
        this.table = requireNonNull(table, "table is null");
        this.connection = requireNonNull(connection, "connection is null");
        this.target = requireNonNull(target, "target is null");
        this.thread = Thread.ofPlatform().name("acknowledging-writer").start(this::run);
    }

    private void run() {
        while (!stop) {
            Optional<Target> now = target.get();
            if (now.isEmpty()) {
                LockSupport.parkNanos(2_000_000); // pacing: ask again where writes go
                continue;
            }
            try (Connection session = DriverManager.getConnection(now.get().url(), connection);
                    Statement statement = session.createStatement()) {
                while (!stop && target.get().equals(now)) {
                    long id = nextId.incrementAndGet();
                    statement.executeUpdate("INSERT INTO %s VALUES (%d)".formatted(table, id));
                    acknowledged.add(id);
                    lastAcknowledgedAt.set(System.nanoTime());
                    byTarget.computeIfAbsent(now.get().name(), ignored -> new AtomicLong())
                            .incrementAndGet();
                }
            } catch (SQLException e) {
                refusals.incrementAndGet();
            }
        }
    }

    /** The ids acknowledged so far. */
    public Set<Long> acknowledged() {
        return Set.copyOf(acknowledged);
    }

    /** How many inserts {@code name} acknowledged. */
    public long on(String name) {
        AtomicLong count = byTarget.get(name);
        return count == null ? 0 : count.get();
    }

    /** When the last acknowledgement came ({@link System#nanoTime}), 0 before any. */
    public long lastAcknowledgedAt() {
        return lastAcknowledgedAt.get();
    }

    /** How many connections or inserts failed. */
    public long refusals() {
        return refusals.get();
    }

    /** Stops after the insert in flight, if any. */
    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(30_000);
    }
}
