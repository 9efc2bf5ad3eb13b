package io.flotilla.agent;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.FenceRequest;
import io.flotilla.agent.api.GtidPosition;
import io.flotilla.agent.api.GtidWait;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.ReplicaStatus;
import io.flotilla.agent.api.ReplicationSource;
import io.flotilla.agent.api.ReplicationState;
import io.flotilla.agent.api.ReplicationUser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Collectors;

/**
 * The replication verbs of a MariaDB instance on the agent's host, run where the instance is so
 * that no SQL connection crosses the network: report its GTID state, fence it (read-only, client
 * sessions killed, a global read lock the agent holds), release it, end the sessions that waited
 * on the lock, promote it, point it at a primary, and wait until it applied a position.
 *
 * <p>A fence outlives the request that took it, not the agent: the agent lets it go by itself
 * after the request's {@code holdSeconds}, and when it stops.
 */
final class ReplicationAdmin implements AutoCloseable {
    private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(30);
    /**
     * How long read_only and the read lock may wait for running statements: less than the
     * connection's own timeout, so that the server gives up first and says so.
     */
    private static final int LOCK_WAIT_SECONDS = 20;
    /** How long a promotion waits for the replica to apply what it received before it is refused. */
    private static final int DRAIN_SECONDS = 30;

    private final Supervisor supervisor;
    /** Where replication password files may be read from: the agent's own secrets. */
    private final Path secrets;

    private final Map<String, Fence> fences = new ConcurrentHashMap<>();
    /**
     * The sessions the agent's verbs hold open, as {@code INSTANCE/SESSION}: killing an instance's
     * clients spares them, so that verbs asked side by side (a fence refreshed while the sessions
     * that waited on it end) do not end each other.
     */
    private final Set<String> ownSessions = ConcurrentHashMap.newKeySet();
    /**
     * Per instance, held shared from a verb's connect until its session is in {@link #ownSessions},
     * and exclusive while that instance's clients are listed and killed: a session is never seen
     * before it is known as the agent's, and a stalled instance holds up no other.
     */
    private final Map<String, ReadWriteLock> sessionsChanging = new ConcurrentHashMap<>();
    /** One lock per instance: a fence, its release and its expiry never interleave, and instances do not wait on each other. */
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    private final AtomicLong generations = new AtomicLong();
    private final ScheduledExecutorService expiries = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("fence-expiry").daemon().factory());

    /**
     * A held global read lock: its session, that session's id on the server, which taking or
     * refreshing of it this is, and when it lapses.
     */
    private record Fence(Connection session, long sessionId, long generation, ScheduledFuture<?> expiry) {}

    ReplicationAdmin(Supervisor supervisor, Path secrets) {
        this.supervisor = supervisor;
        this.secrets = secrets.toAbsolutePath().normalize();
    }

    ReplicationState state(String id) {
        InstanceSpec spec = supervisor.spec(id);
        return stateAfter(spec, statement -> {});
    }

    /**
     * Fences the instance, again when a fence is held already (its hold then starts over). Client
     * sessions are killed before {@code read_only} is set, so that no long write holds it up, and
     * again once the lock is held. A fence that cannot be taken is refused saying so; the instance
     * is then left read-only.
     */
    ReplicationState fence(String id, FenceRequest request) {
        InstanceSpec spec = supervisor.spec(id);
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Fence held = fences.get(id);
            if (held != null && isOpen(held)) {
                held.expiry().cancel(false);
                fences.put(id, schedule(id, held.session(), held.sessionId(), request.holdSeconds()));
                return stateAfter(spec, statement -> killClients(statement, id, held.sessionId(), request.keepUser()));
            }
            Connection session = SqlConnections.open(spec, STATEMENT_TIMEOUT);
            try (Statement statement = session.createStatement()) {
                statement.execute("SET SESSION lock_wait_timeout = " + LOCK_WAIT_SECONDS);
                // The server must not end the fence's idle session before its hold is over.
                statement.execute("SET SESSION wait_timeout = " + (request.holdSeconds() + 60));
                long own = Long.parseLong(scalar(statement, "SELECT CONNECTION_ID()"));
                killClients(statement, id, own, request.keepUser());
                statement.execute("SET GLOBAL read_only = ON");
                killClients(statement, id, own, request.keepUser());
                statement.execute("FLUSH TABLES WITH READ LOCK");
                fences.put(id, schedule(id, session, own, request.holdSeconds()));
                return state(id, statement);
            } catch (SQLException e) {
                closeQuietly(session);
                throw new AgentException(
                        Code.REFUSED,
                        "%s %s: the fence was not taken: %s; read_only may be left ON and its client sessions were killed: run the same command again, or release it"
                                .formatted(spec.component(), id, SqlConnections.firstLine(e.getMessage())));
            } catch (RuntimeException e) {
                closeQuietly(session);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Lets the fence go; with {@code writable}, the instance takes writes again ({@code read_only = OFF}). */
    ReplicationState release(String id, boolean writable) {
        InstanceSpec spec = supervisor.spec(id);
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Fence held = fences.remove(id);
            if (held != null) {
                held.expiry().cancel(false);
                closeQuietly(held.session());
            }
            return stateAfter(spec, statement -> {
                if (writable) {
                    statement.execute("SET GLOBAL read_only = OFF");
                }
            });
        } finally {
            lock.unlock();
        }
    }

    /** Ends every client session but the fence's and those of {@code keepUser}: they waited on the lock. */
    ReplicationState endSessions(String id, String keepUser) {
        InstanceSpec spec = supervisor.spec(id);
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            Fence held = fences.get(id);
            return stateAfter(
                    spec, statement -> killClients(statement, id, held == null ? -1 : held.sessionId(), keepUser));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops replicating, forgets its primary and takes writes; a primary already is left as it is.
     * Refused while the agent fences the instance, and when it has not applied, within {@value
     * #DRAIN_SECONDS} s, every transaction it received: its relay log is never thrown away unapplied
     * (its IO thread is stopped first, so nothing arrives between the wait and the reset).
     */
    ReplicationState promote(String id) {
        return promote(id, false);
    }

    /**
     * Promotes as {@link #promote(String)} does; with {@code semiSync}, the primary waits for a
     * replica's acknowledgement of each transaction from its first write on (semi-sync is turned on
     * before {@code read_only} is turned off).
     */
    ReplicationState promote(String id, boolean semiSync) {
        InstanceSpec spec = supervisor.spec(id);
        // Under the instance's lock: a fence asked meanwhile (the lead lost while this waits) comes after, and holds.
        ReentrantLock lock = lock(id);
        lock.lock();
        try {
            refuseWhileFenced(spec, "promoting it");
            return stateAfter(spec, statement -> {
                statement.execute("SET SESSION lock_wait_timeout = " + LOCK_WAIT_SECONDS);
                if (replica(statement) != null) {
                    // Nothing arrives once the IO thread stops: what it received by then is all there is to apply.
                    statement.execute("STOP SLAVE IO_THREAD");
                    String received = replica(statement).gtidIoPos();
                    if (!received.isEmpty()
                            && !scalar(
                                            statement,
                                            "SELECT MASTER_GTID_WAIT('%s', %d)".formatted(received, DRAIN_SECONDS))
                                    .equals("0")) {
                        throw new AgentException(
                                Code.REFUSED,
                                "%s %s received '%s' from its primary but applied only '%s' within %d s; it is not promoted"
                                        .formatted(
                                                spec.component(),
                                                id,
                                                received,
                                                scalar(statement, "SELECT @@GLOBAL.gtid_slave_pos"),
                                                DRAIN_SECONDS));
                    }
                    statement.execute("STOP SLAVE");
                    statement.execute("RESET SLAVE ALL");
                }
                if (semiSync) {
                    statement.execute("SET GLOBAL rpl_semi_sync_master_enabled = ON");
                }
                statement.execute("SET GLOBAL read_only = OFF");
            });
        } finally {
            lock.unlock();
        }
    }

    /** Makes the instance refuse the writes of accounts without READ_ONLY ADMIN; its sessions and replication go on. */
    ReplicationState readOnly(String id) {
        InstanceSpec spec = supervisor.spec(id);
        return stateAfter(spec, statement -> statement.execute("SET GLOBAL read_only = ON"));
    }

    /**
     * Replicates from {@code source} with GTID from its own {@code gtid_slave_pos} on; nothing
     * changes when it already replicates from there, as that user, applying, with its IO thread
     * running or connecting. Replication is configured with semi-sync's primary side off: a replica
     * that waited for acknowledgements of what it applies would stall. A former primary needs its {@code gtid_slave_pos} seeded (and its divergence checked) first:
     * this verb does neither.
     */
    ReplicationState source(String id, ReplicationSource source) {
        InstanceSpec spec = supervisor.spec(id);
        String password = readPassword(spec, Path.of(source.passwordFile()));
        return stateAfter(spec, statement -> {
            ReplicaStatus current = replica(statement);
            boolean there = current != null
                    && current.primaryHost().equals(source.host())
                    && current.primaryPort() == source.port()
                    && source.user().equals(masterUser(statement))
                    && !current.ioRunning().equals("No")
                    && current.sqlRunning().equals("Yes");
            if (!there) {
                readBackslashEscapes(statement);
                statement.execute("STOP SLAVE");
                statement.execute("SET GLOBAL rpl_semi_sync_master_enabled = OFF");
                statement.execute(("CHANGE MASTER TO MASTER_HOST = '%s', MASTER_PORT = %d, MASTER_USER = '%s',"
                                + " MASTER_PASSWORD = '%s', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1")
                        .formatted(source.host(), source.port(), source.user(), escape(password)));
                statement.execute("START SLAVE");
            }
        });
    }

    /**
     * Creates the replication account when missing ({@code CREATE USER IF NOT EXISTS}: an existing
     * account keeps its password) and grants it what replicas need. The account is created from the
     * password's mysql_native_password hash, never the password itself: the statement goes to the
     * binary log as written, and so to every replica and every binlog archive. With {@code
     * outsideBinlog} it goes to no binary log: each member of an HA group has the account of its own.
     */
    ReplicationState ensureUser(String id, ReplicationUser user) {
        InstanceSpec spec = supervisor.spec(id);
        String password = readPassword(spec, Path.of(user.passwordFile()));
        return stateAfter(spec, statement -> {
            statement.execute("SET SESSION lock_wait_timeout = " + LOCK_WAIT_SECONDS);
            if (user.outsideBinlog()) {
                statement.execute("SET SESSION sql_log_bin = 0");
            }
            statement.execute("CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY PASSWORD '%s'"
                    .formatted(user.user(), nativePasswordHash(password)));
            statement.execute("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '%s'@'%%'".formatted(user.user()));
        });
    }

    /**
     * Makes the instance read-only, stops its replication and sets its {@code gtid_slave_pos}, so
     * that replication configured next with {@code MASTER_USE_GTID = slave_pos} starts there.
     * Refused while the agent fences the instance: the position is written to a table the read
     * lock blocks.
     */
    ReplicationState position(String id, GtidPosition position) {
        InstanceSpec spec = supervisor.spec(id);
        refuseWhileFenced(spec, "setting its replication position");
        return stateAfter(spec, statement -> {
            statement.execute("SET SESSION lock_wait_timeout = " + LOCK_WAIT_SECONDS);
            statement.execute("SET GLOBAL read_only = ON");
            statement.execute("STOP SLAVE");
            statement.execute("SET GLOBAL gtid_slave_pos = '%s'".formatted(position.gtid()));
        });
    }

    /** Waits until the instance applied {@code request.gtid()}; refused with the position it reached when it did not in time. */
    ReplicationState await(String id, GtidWait request) {
        InstanceSpec spec = supervisor.spec(id);
        Duration timeout = STATEMENT_TIMEOUT.plusSeconds(request.timeoutSeconds());
        try (OwnConnection own = openOwn(spec, timeout)) {
            Statement statement = own.statement();
            String reached = scalar(
                    statement, "SELECT MASTER_GTID_WAIT('%s', %d)".formatted(request.gtid(), request.timeoutSeconds()));
            ReplicationState state = state(id, statement);
            if (!reached.equals("0")) {
                throw new AgentException(
                        Code.REFUSED,
                        "%s %s did not apply '%s' within %d s; it applied '%s'%s"
                                .formatted(
                                        spec.component(),
                                        id,
                                        request.gtid(),
                                        request.timeoutSeconds(),
                                        state.gtidSlavePos(),
                                        state.source() == null
                                                        || state.source()
                                                                .lastError()
                                                                .isEmpty()
                                                ? ""
                                                : ", last replication error: "
                                                        + state.source().lastError()));
            }
            return state;
        } catch (SQLException e) {
            throw SqlConnections.down(spec, e);
        }
    }

    /** Lets every fence go. */
    @Override
    public void close() {
        expiries.shutdownNow();
        fences.values().forEach(fence -> closeQuietly(fence.session()));
        fences.clear();
    }

    private void refuseWhileFenced(InstanceSpec spec, String what) {
        if (fences.containsKey(spec.id())) {
            throw new AgentException(
                    Code.REFUSED,
                    "%s %s is fenced by this agent; release it before %s".formatted(spec.component(), spec.id(), what));
        }
    }

    private ReadWriteLock sessionsChanging(String id) {
        return sessionsChanging.computeIfAbsent(id, ignored -> new ReentrantReadWriteLock());
    }

    private ReentrantLock lock(String id) {
        return locks.computeIfAbsent(id, ignored -> new ReentrantLock());
    }

    /** A fence on {@code session} that lapses after {@code holdSeconds}, unless refreshed or released first. */
    private Fence schedule(String id, Connection session, long sessionId, int holdSeconds) {
        long generation = generations.incrementAndGet();
        ScheduledFuture<?> expiry = expiries.schedule(
                () -> {
                    ReentrantLock lock = lock(id);
                    lock.lock();
                    try {
                        Fence held = fences.get(id);
                        // A refresh or a new fence since this one was scheduled keeps its own expiry.
                        if (held != null && held.generation() == generation) {
                            fences.remove(id);
                            closeQuietly(held.session());
                        }
                    } finally {
                        lock.unlock();
                    }
                },
                holdSeconds,
                TimeUnit.SECONDS);
        return new Fence(session, sessionId, generation, expiry);
    }

    private ReplicationState state(String id, Statement statement) throws SQLException {
        try (ResultSet row = statement.executeQuery("SELECT @@GLOBAL.read_only, @@GLOBAL.gtid_binlog_pos,"
                + " @@GLOBAL.gtid_slave_pos, @@GLOBAL.gtid_current_pos")) {
            row.next();
            boolean readOnly = row.getInt(1) != 0;
            String binlog = nullToEmpty(row.getString(2));
            String slave = nullToEmpty(row.getString(3));
            String current = nullToEmpty(row.getString(4));
            Fence held = fences.get(id);
            return new ReplicationState(
                    readOnly, binlog, slave, current, held != null && isOpen(held), replica(statement));
        }
    }

    private static ReplicaStatus replica(Statement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery("SHOW SLAVE STATUS")) {
            return rows.next() ? replicaStatus(rows, "", "") : null;
        }
    }

    /** The current row of {@code SHOW SLAVE STATUS} with the server's GTID positions. */
    static ReplicaStatus replicaStatus(ResultSet rows, String gtidSlavePos, String gtidCurrentPos) throws SQLException {
        long behind = rows.getLong("Seconds_Behind_Master");
        if (rows.wasNull()) {
            behind = -1;
        }
        String ioError = nullToEmpty(rows.getString("Last_IO_Error"));
        String sqlError = nullToEmpty(rows.getString("Last_SQL_Error"));
        return new ReplicaStatus(
                nullToEmpty(rows.getString("Master_Host")),
                rows.getInt("Master_Port"),
                nullToEmpty(rows.getString("Slave_IO_Running")),
                nullToEmpty(rows.getString("Slave_SQL_Running")),
                behind,
                nullToEmpty(rows.getString("Gtid_IO_Pos")),
                gtidSlavePos,
                gtidCurrentPos,
                !ioError.isEmpty() ? ioError : sqlError);
    }

    /**
     * Ends every client session but {@code keep} and those of replication ({@code keepUser}, the
     * server's own threads): a client with the privilege to write past {@code read_only} must
     * reconnect, through the gateway, to the new primary.
     */
    private void killClients(Statement statement, String id, long keep, String keepUser) throws SQLException {
        ReadWriteLock changing = sessionsChanging(id);
        changing.writeLock().lock();
        try {
            killClientsNow(statement, id, keep, keepUser);
        } finally {
            changing.writeLock().unlock();
        }
    }

    private void killClientsNow(Statement statement, String id, long keep, String keepUser) throws SQLException {
        List<Long> sessions = new ArrayList<>();
        String prefix = id + "/";
        String own = ownSessions.stream()
                .filter(session -> session.startsWith(prefix))
                .map(session -> " AND ID <> " + Long.parseLong(session.substring(prefix.length())))
                .collect(Collectors.joining());
        try (ResultSet rows = statement.executeQuery(
                ("SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND ID <> %d%s"
                                + " AND USER NOT IN ('system user', 'event_scheduler', '%s')"
                                + " AND COMMAND NOT IN ('Binlog Dump', 'Daemon')")
                        .formatted(keep, own, keepUser))) {
            while (rows.next()) {
                sessions.add(rows.getLong(1));
            }
        }
        for (long session : sessions) {
            try {
                statement.execute("KILL CONNECTION " + session);
            } catch (SQLException ignored) {
                // It ended on its own meanwhile.
            }
        }
    }

    private static boolean isOpen(Fence fence) {
        try {
            return fence.session().isValid(2);
        } catch (SQLException ignored) {
            return false;
        }
    }

    private static String masterUser(Statement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery("SHOW SLAVE STATUS")) {
            return rows.next() ? nullToEmpty(rows.getString("Master_User")) : "";
        }
    }

    private String readPassword(InstanceSpec spec, Path file) {
        if (!file.toAbsolutePath().normalize().startsWith(secrets)) {
            throw new AgentException(
                    Code.BAD_REQUEST,
                    "%s %s: the replication password file %s is not in the agent's secrets folder %s"
                            .formatted(spec.component(), spec.id(), file, secrets));
        }
        if (!Files.isReadable(file)) {
            throw new AgentException(
                    Code.BAD_REQUEST,
                    "%s %s: the replication password file %s is missing or unreadable on this host; deploy writes it with the agent"
                            .formatted(spec.component(), spec.id(), file));
        }
        return ProbeRunner.readPassword(file);
    }

    /** Runs {@code change} on a session of the agent's own, then answers the replication state it sees. */
    private ReplicationState stateAfter(InstanceSpec spec, SqlChange change) {
        try (OwnConnection own = openOwn(spec, STATEMENT_TIMEOUT)) {
            change.run(own.statement());
            return state(spec.id(), own.statement());
        } catch (SQLException e) {
            throw SqlConnections.down(spec, e);
        }
    }

    /** Opens a session that killing the instance's clients spares until it is closed. */
    private OwnConnection openOwn(InstanceSpec spec, Duration timeout) throws SQLException {
        ReadWriteLock changing = sessionsChanging(spec.id());
        changing.readLock().lock();
        try {
            Connection connection = SqlConnections.open(spec, timeout);
            try {
                Statement statement = connection.createStatement();
                String key = spec.id() + "/" + scalar(statement, "SELECT CONNECTION_ID()");
                ownSessions.add(key);
                return new OwnConnection(connection, statement, key);
            } catch (SQLException | RuntimeException e) {
                closeQuietly(connection);
                throw e;
            }
        } finally {
            changing.readLock().unlock();
        }
    }

    /** A session of the agent's own, and the key it is known by in {@link #ownSessions}. */
    private final class OwnConnection implements AutoCloseable {
        private final Connection connection;
        private final Statement statement;
        private final String key;

        OwnConnection(Connection connection, Statement statement, String key) {
            this.connection = connection;
            this.statement = statement;
            this.key = key;
        }

        Statement statement() {
            return statement;
        }

        @Override
        public void close() {
            ownSessions.remove(key);
            closeQuietly(connection);
        }
    }

    private static String scalar(Statement statement, String query) throws SQLException {
        try (ResultSet row = statement.executeQuery(query)) {
            row.next();
            return nullToEmpty(row.getString(1));
        }
    }

    /**
     * The mysql_native_password hash of a password, as {@code PASSWORD()} gives it: {@code '*'} and
     * the upper-case hex of SHA-1 of SHA-1 of its UTF-8 bytes.
     */
    static String nativePasswordHash(String password) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] once = sha1.digest(password.getBytes(StandardCharsets.UTF_8));
            return "*" + HexFormat.of().withUpperCase().formatHex(sha1.digest(once));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JDK", e);
        }
    }

    /** Makes the session read the backslashes {@link #escape} doubles as escapes, whatever the server's sql_mode. */
    private static void readBackslashEscapes(Statement statement) throws SQLException {
        statement.execute("SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')");
    }

    /** A string literal's body, read with backslash escapes on ({@link #readBackslashEscapes}). */
    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("'", "''");
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // The session is gone, and the lock with it.
        }
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }

    @FunctionalInterface
    private interface SqlChange {
        void run(Statement statement) throws SQLException;
    }
}
