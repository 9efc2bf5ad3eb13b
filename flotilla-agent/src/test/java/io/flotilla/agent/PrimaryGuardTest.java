package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.EtcdClient;
import io.flotilla.agent.api.FenceRequest;
import io.flotilla.agent.api.RestartPolicy;
import io.flotilla.testing.AcknowledgingWriter;
import io.flotilla.testing.Teardown;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary's guard against a real etcd and a real mariadbd, with a writer that records every
 * insert the server acknowledged: once the lead is lost (etcd frozen with SIGSTOP, the primary
 * unhealthy) the primary is fenced before its lease could have run out, every acknowledged row
 * is there, and nothing more is written; a hand-over leaves the primary writable and frees the key
 * at once.
 */
class PrimaryGuardTest {
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final String ID = "127.0.0.1:primary";

    @TempDir
    static Path dir;

    private static TestingEtcd etcd;
    private static EtcdClient client;
    private static TestingMariaDb primary;
    private static Supervisor supervisor;
    private static ReplicationAdmin replication;
    /** Ids apart from the writer's, for single inserts. */
    private static final AtomicLong nextId = new AtomicLong(1_000_000_000L);

    @BeforeAll
    static void start() throws Exception {
        etcd = new TestingEtcd(dir.resolve("etcd"));
        client = new EtcdClient(List.of(etcd.endpoint()), Duration.ofMillis(500));
        Path template = dir.resolve("template");
        TestingMariaDb.installDataDir(template);
        primary = TestingMariaDb.start(template, Files.createDirectories(dir.resolve("primary")), 1);
        Path admin = dir.resolve("admin.password");
        Files.writeString(admin, "guard-admin-5\n");
        Files.setPosixFilePermissions(admin, PosixFilePermissions.fromString("rw-------"));
        // An application account is what the fence must stop: read_only does not bind SUPER.
        primary.sql("CREATE USER 'admin'@'127.0.0.1' IDENTIFIED BY 'guard-admin-5';"
                + " GRANT ALL ON *.* TO 'admin'@'127.0.0.1' WITH GRANT OPTION;"
                + " CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-3';"
                + " CREATE DATABASE fleet; CREATE TABLE fleet.acks (id BIGINT PRIMARY KEY);"
                + " GRANT SELECT, INSERT ON fleet.* TO 'app'@'127.0.0.1'");
        supervisor = Supervisor.open(dir.resolve("agent"), RestartPolicy.DEFAULT);
        supervisor.put(primary.spec(ID, dir, "admin", admin, "/nonexistent/my.cnf", ""));
        replication = new ReplicationAdmin(supervisor, dir);
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(replication, supervisor, primary, client, etcd);
    }

    @BeforeEach
    void writableAgain() {
        replication.release(ID, true);
    }

    private static PrimaryGuard guard(String key, AtomicBoolean healthy) {
        return new PrimaryGuard(client, key, ID, TTL, healthy::get, replication, new FenceRequest(60, "repl")).start();
    }

    private static Connection connect(String user, String password) throws SQLException {
        return DriverManager.getConnection(url(), TestingMariaDb.client(user, password));
    }

    private static String url() {
        return "jdbc:mariadb://127.0.0.1:%d/".formatted(primary.port());
    }

    private static Set<Long> rows() throws SQLException {
        Set<Long> rows = new java.util.HashSet<>();
        try (Connection connection = connect("admin", "guard-admin-5");
                var result = connection.createStatement().executeQuery("SELECT id FROM fleet.acks")) {
            while (result.next()) {
                rows.add(result.getLong(1));
            }
        }
        return rows;
    }

    @Test
    void etcdFrozenFencesThePrimaryBeforeItsLeaseCouldEndAndNoAcknowledgedRowIsLost() throws Exception {
        try (PrimaryGuard guard = guard("g1/leader", new AtomicBoolean(true))) {
            assertEventually(
                    Duration.ofSeconds(10), () -> assertThat(guard.writable()).isTrue());
            AcknowledgingWriter writer = new AcknowledgingWriter(
                    "fleet.acks",
                    TestingMariaDb.client("app", "app-3"),
                    () -> Optional.of(new AcknowledgingWriter.Target("primary", url())));
            assertEventually(
                    Duration.ofSeconds(10),
                    () -> assertThat(writer.acknowledged().size()).isGreaterThan(50));
            new ProcessBuilder("kill", "-STOP", String.valueOf(etcd.pid()))
                    .start()
                    .waitFor();
            try {
                assertEventually(
                        Duration.ofSeconds(20), () -> assertThat(guard.role()).isEqualTo(PrimaryGuard.Role.FENCED));
            } finally {
                new ProcessBuilder("kill", "-CONT", String.valueOf(etcd.pid()))
                        .start()
                        .waitFor();
            }
            assertThat(guard.writable()).isFalse();
            assertThat(guard.why()).contains("fenced");
            // etcd cannot end the lease before the last renewal it answered was sent plus the ttl.
            assertThat(guard.fencedAt()).isLessThan(guard.lastRenewalSent() + TTL.toNanos());
            assertThat(writer.lastAcknowledgedAt()).isLessThan(guard.fencedAt());
            long refusedBefore = writer.refusals();
            assertEventually(
                    Duration.ofSeconds(10), () -> assertThat(writer.refusals()).isGreaterThan(refusedBefore + 3));
            writer.close();

            Set<Long> rows = rows();
            assertThat(rows).as("every acknowledged row").containsAll(writer.acknowledged());
            assertThat(rows.size() - writer.acknowledged().size())
                    .as("rows written but not acknowledged (at most the one in flight)")
                    .isBetween(0, 1);
            assertThat(primary.sql("SELECT @@GLOBAL.read_only").strip()).isEqualTo("1");
            // It does not take the lead back by itself: the key goes with its lease.
            assertEventually(
                    Duration.ofSeconds(15),
                    () -> assertThat(client.get("g1/leader")).isEmpty());
            // Another member takes the free key, and keeps it: the guard no longer tries.
            long other = client.grant(Duration.ofSeconds(30));
            assertThat(client.createIfAbsent("g1/leader", "127.0.0.1:replica", other))
                    .isTrue();
            assertThat(client.get("g1/leader").orElseThrow().value()).isEqualTo("127.0.0.1:replica");
            client.revoke(other);
            assertThat(guard.role()).isEqualTo(PrimaryGuard.Role.FENCED);
        }
    }

    @Test
    void anUnhealthyPrimaryIsFencedAndItsKeyFreed() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        try (PrimaryGuard guard = guard("g2/leader", healthy)) {
            assertEventually(
                    Duration.ofSeconds(10), () -> assertThat(guard.writable()).isTrue());
            assertThat(client.get("g2/leader").orElseThrow().value()).isEqualTo(ID);
            healthy.set(false);
            assertEventually(
                    Duration.ofSeconds(10), () -> assertThat(guard.role()).isEqualTo(PrimaryGuard.Role.FENCED));
            assertThat(guard.why()).startsWith("the primary is not healthy");
            assertThat(guard.fencedAt()).isLessThan(guard.lastRenewalSent() + TTL.toNanos());
            assertThat(primary.sql("SELECT @@GLOBAL.read_only").strip()).isEqualTo("1");
            try (Connection app = connect("app", "app-3")) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> app.createStatement()
                                .executeUpdate("INSERT INTO fleet.acks VALUES (" + nextId.incrementAndGet() + ")"))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("read-only");
            }
            assertEventually(
                    Duration.ofSeconds(10),
                    () -> assertThat(client.get("g2/leader")).isEmpty());
        }
    }

    @Test
    void aHandOverFreesTheKeyAtOnceAndLeavesThePrimaryAsItIs() throws Exception {
        PrimaryGuard guard = guard("g3/leader", new AtomicBoolean(true));
        assertEventually(
                Duration.ofSeconds(10), () -> assertThat(guard.writable()).isTrue());
        guard.close();
        assertThat(guard.role()).isEqualTo(PrimaryGuard.Role.CLOSED);
        assertThat(guard.writable()).isFalse();
        assertThat(client.get("g3/leader")).isEmpty();
        assertThat(primary.sql("SELECT @@GLOBAL.read_only").strip()).isEqualTo("0");
    }
}
