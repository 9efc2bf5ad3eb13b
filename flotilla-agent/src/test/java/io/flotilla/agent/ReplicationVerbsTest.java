package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentInfo;
import io.flotilla.agent.api.FenceRequest;
import io.flotilla.agent.api.GtidPosition;
import io.flotilla.agent.api.GtidWait;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.ReplicationSource;
import io.flotilla.agent.api.ReplicationState;
import io.flotilla.agent.api.ReplicationUser;
import io.flotilla.agent.api.RestartPolicy;
import io.flotilla.testing.Teardown;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's replication verbs on two real MariaDB servers, asked over the agent's real HTTP API
 * with its client: a replica pointed at its primary and waited for, the primary fenced (a client
 * session killed, root's writes blocked by the read lock), a wait that times out, the replica
 * promoted, the fence released and one that lapses by itself, and requests refused before any SQL.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicationVerbsTest {
    private static final String TOKEN = "replication-token-7e2a";
    private static final String PRIMARY = "127.0.0.1:primary";
    private static final String REPLICA = "127.0.0.1:replica";
    private static final String REPLICATION_USER = "repl";

    @TempDir
    static Path dir;

    private static TestingMariaDb primary;
    private static TestingMariaDb replica;
    private static Supervisor supervisor;
    private static AgentServer server;
    private static AgentClient agent;
    private static Path replicationPassword;

    @BeforeAll
    static void startServersAndAgent() throws Exception {
        Path template = dir.resolve("template");
        TestingMariaDb.installDataDir(template);
        primary = TestingMariaDb.start(template, Files.createDirectories(dir.resolve("primary")), 1);
        replica = TestingMariaDb.start(template, Files.createDirectories(dir.resolve("replica")), 2);
        Path admin = secret("admin.password", "adm-secret-2");
        replicationPassword = secret("secrets/replication-password", "re'pl\\secret");
        for (TestingMariaDb server : List.of(primary, replica)) {
            server.sql("SET SESSION sql_log_bin = 0; CREATE USER 'admin'@'127.0.0.1' IDENTIFIED BY 'adm-secret-2';"
                    + " GRANT ALL ON *.* TO 'admin'@'127.0.0.1' WITH GRANT OPTION");
        }
        // As a clone would: the replica starts from what the primary had written when it was made.
        String seed = primary.sql("SELECT @@GLOBAL.gtid_binlog_pos").strip();
        replica.sql("SET GLOBAL gtid_slave_pos = '%s'".formatted(seed));
        primary.sql(
                "CREATE USER '%s'@'%%' IDENTIFIED BY 're''pl\\\\secret'; GRANT REPLICATION SLAVE ON *.* TO '%s'@'%%';"
                                .formatted(REPLICATION_USER, REPLICATION_USER)
                        + " CREATE DATABASE fleet; CREATE TABLE fleet.ships (id INT PRIMARY KEY)");
        supervisor = Supervisor.open(dir.resolve("agent"), RestartPolicy.DEFAULT);
        supervisor.put(spec(PRIMARY, primary, admin));
        supervisor.put(spec(REPLICA, replica, admin));
        server = AgentServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                TestingTls.server(),
                TOKEN,
                supervisor,
                new ProbeRunner(),
                new AgentInfo(ProcessHandle.current().pid(), "test", Instant.now(), "host1", dir.toString()),
                () -> {});
        agent = new AgentClient(
                URI.create("https://127.0.0.1:" + server.address().getPort()),
                TOKEN,
                TestingTls.client(),
                Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(agent, server, supervisor, replica, primary);
    }

    @Test
    @Order(1)
    void aReplicaPointedAtItsPrimaryAppliesWhatItWrites() throws Exception {
        ReplicationState state = agent.setSource(REPLICA, source());
        assertThat(state.source()).isNotNull();
        assertThat(state.source().primaryHost()).isEqualTo("127.0.0.1");
        assertThat(state.source().primaryPort()).isEqualTo(primary.port());

        primary.sql("INSERT INTO fleet.ships VALUES (1), (2)");
        String written = agent.replicationState(PRIMARY).gtidBinlogPos();
        assertThat(written).matches("0-1-\\d+");
        ReplicationState applied = agent.awaitGtid(REPLICA, new GtidWait(written, 30));
        assertThat(applied.gtidSlavePos()).isEqualTo(written);
        assertThat(replica.sql("SELECT COUNT(*) FROM fleet.ships").strip()).isEqualTo("2");

        // Asked again, it changes nothing: the same source, both threads running, no CHANGE MASTER.
        assertEventually(
                Duration.ofSeconds(10),
                () -> assertThat(agent.replicationState(REPLICA).source().ioRunning())
                        .isEqualTo("Yes"));
        String changes = changeMasterCount();
        assertThat(agent.setSource(REPLICA, source()).source().sqlRunning()).isEqualTo("Yes");
        assertThat(changeMasterCount()).isEqualTo(changes);
    }

    private static String binlogDumpSession() throws Exception {
        return primary.sql("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'")
                .strip();
    }

    private static String comStopSlave() throws Exception {
        return replica.sql("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                        + " WHERE VARIABLE_NAME = 'COM_STOP_SLAVE'")
                .strip();
    }

    private static String changeMasterCount() throws Exception {
        return replica.sql("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                        + " WHERE VARIABLE_NAME = 'COM_CHANGE_MASTER'")
                .strip();
    }

    @Test
    @Order(2)
    void aFencedPrimaryKillsItsClientsAndTakesNoWriteEvenFromRoot() throws Exception {
        String binlogDump = binlogDumpSession();
        assertThat(binlogDump).isNotEmpty();
        try (Connection client = connect(primary)) {
            ReplicationState fenced = agent.fence(PRIMARY, new FenceRequest(60, REPLICATION_USER));

            assertThat(fenced.readOnly()).isTrue();
            assertThat(fenced.fenced()).isTrue();
            assertThat(client.isValid(2)).as("the client session was killed").isFalse();
        }
        assertThatThrownBy(() -> primary.sql("SET SESSION lock_wait_timeout = 1; INSERT INTO fleet.ships VALUES (3)"))
                .hasMessageContaining("Lock wait timeout exceeded");
        // Replication's own session survives: the same Binlog Dump thread still serves the replica.
        assertThat(binlogDumpSession()).isEqualTo(binlogDump);
        assertThat(agent.replicationState(REPLICA).source().ioRunning()).isEqualTo("Yes");
        // A session that came in while fenced is ended on request; the fence holds on.
        try (Connection late = connect(primary)) {
            ReplicationState ended = agent.endSessions(PRIMARY, REPLICATION_USER);
            assertThat(late.isValid(2)).isFalse();
            assertThat(ended.fenced()).isTrue();
        }
        assertThatThrownBy(() -> agent.promote(PRIMARY))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("is fenced by this agent; release it before promoting it");
        // Fenced again, the hold starts over and the lock stays.
        assertThat(agent.fence(PRIMARY, new FenceRequest(60, REPLICATION_USER)).fenced())
                .isTrue();
        assertThatThrownBy(() -> primary.sql("SET SESSION lock_wait_timeout = 1; INSERT INTO fleet.ships VALUES (3)"))
                .hasMessageContaining("Lock wait timeout exceeded");
        String written = agent.replicationState(PRIMARY).gtidBinlogPos();
        assertThat(agent.awaitGtid(REPLICA, new GtidWait(written, 30)).gtidSlavePos())
                .isEqualTo(written);
    }

    @Test
    @Order(3)
    void aWaitForAPositionNeverWrittenGivesUpSayingWhereTheReplicaIs() {
        String applied = agent.replicationState(REPLICA).gtidSlavePos();
        assertThatThrownBy(() -> agent.awaitGtid(REPLICA, new GtidWait("0-1-999999", 1)))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("mariadb %s did not apply '0-1-999999' within 1 s; it applied '%s'"
                        .formatted(REPLICA, applied));
    }

    @Test
    @Order(4)
    void thePromotedReplicaTakesWritesAndTheReleasedPrimaryStaysReadOnly() throws Exception {
        ReplicationState promoted = agent.promote(REPLICA);
        assertThat(promoted.source()).isNull();
        assertThat(promoted.readOnly()).isFalse();

        ReplicationState released = agent.release(PRIMARY, false);
        assertThat(released.fenced()).isFalse();
        assertThat(released.readOnly()).isTrue();
        // The lock is gone: root, who writes past read_only, writes again.
        primary.sql("SET SESSION lock_wait_timeout = 5; INSERT INTO fleet.ships VALUES (4)");
        assertThat(primary.sql("SELECT COUNT(*) FROM fleet.ships").strip()).isEqualTo("3");
    }

    @Test
    @Order(5)
    void aFenceLapsesByItselfAfterItsHold() throws Exception {
        assertThat(agent.fence(PRIMARY, new FenceRequest(1, REPLICATION_USER)).fenced())
                .isTrue();
        assertEventually(
                Duration.ofSeconds(10),
                () -> assertThat(agent.replicationState(PRIMARY).fenced()).isFalse());
        // The lock went with it: root writes again.
        primary.sql("SET SESSION lock_wait_timeout = 1; INSERT INTO fleet.ships VALUES (5)");
        assertThat(agent.release(PRIMARY, true).readOnly()).isFalse();
    }

    @Test
    @Order(6)
    void requestsThatCannotBeSqlAreRefusedBeforeAnyIsRun() throws Exception {
        assertThatThrownBy(() -> new GtidWait("0-1-1' OR '1", 1))
                .hasMessage("gtid '0-1-1' OR '1' is not a GTID position (DOMAIN-SERVER-SEQUENCE, comma-separated)");
        assertThatThrownBy(() -> new FenceRequest(60, "repl' OR '1"))
                .hasMessage("keepUser 'repl' OR '1' is not a user name of letters, digits and underscores");
        assertThatThrownBy(() -> new ReplicationSource("10.0.0.1'; DROP", 3306, "repl", "/x"))
                .hasMessage("host '10.0.0.1'; DROP' is not an address or a host name");
        assertThatThrownBy(() -> new GtidWait("", 1)).hasMessage("gtid is empty: name the position to wait for");
        String stops = comStopSlave();
        assertThatThrownBy(() -> agent.setSource(
                        REPLICA, new ReplicationSource("127.0.0.1", primary.port(), "repl", "/etc/shadow")))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("the replication password file /etc/shadow is not in the agent's secrets folder");
        assertThatThrownBy(() -> agent.setSource(
                        REPLICA,
                        new ReplicationSource(
                                "127.0.0.1",
                                primary.port(),
                                "repl",
                                dir.resolve("secrets/missing").toString())))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("is missing or unreadable");
        assertThat(comStopSlave()).as("nothing ran on the replica").isEqualTo(stops);
    }

    @Test
    @Order(7)
    void theReplicationAccountIsCreatedWithThePasswordOfTheSecretsFolder() throws Exception {
        ReplicationUser user = new ReplicationUser("repl_new", replicationPassword.toString());
        agent.ensureReplicationUser(REPLICA, user);
        agent.ensureReplicationUser(REPLICA, user);
        Properties properties = new Properties();
        properties.setProperty("user", "repl_new");
        properties.setProperty("password", "re'pl\\secret");
        properties.setProperty("sslMode", "disable");
        try (Connection connection = DriverManager.getConnection(
                        "jdbc:mariadb://127.0.0.1:%d/".formatted(replica.port()), properties);
                Statement statement = connection.createStatement();
                ResultSet grants = statement.executeQuery("SHOW GRANTS")) {
            assertThat(grants.next()).isTrue();
            assertThat(grants.getString(1))
                    .startsWith("GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `repl_new`@`%`");
        }
        assertThat(replica.sql("SELECT PASSWORD('re''pl\\\\secret')").strip())
                .as("the hash the agent computes is the server's own")
                .isEqualTo(ReplicationAdmin.nativePasswordHash("re'pl\\secret"));
        StringBuilder events = new StringBuilder();
        for (String log : replica.sql("SHOW BINARY LOGS").lines().toList()) {
            events.append(replica.sql("SHOW BINLOG EVENTS IN '%s'".formatted(log.split("\t")[0])));
        }
        assertThat(events.toString())
                .as("the replica's binary logs")
                .contains("repl_new")
                .doesNotContainPattern("pl\\\\+secret");
        assertThatThrownBy(() -> agent.ensureReplicationUser(REPLICA, new ReplicationUser("repl_x", "/etc/shadow")))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("is not in the agent's secrets folder");
    }

    @Test
    @Order(8)
    void aFormerPrimaryIsSeededWhereItsBinlogEndsAndIsRefusedWhileFenced() throws Exception {
        agent.fence(PRIMARY, new FenceRequest(60, REPLICATION_USER));
        String own = agent.replicationState(PRIMARY).gtidBinlogPos();
        assertThatThrownBy(() -> agent.setPosition(PRIMARY, new GtidPosition(own)))
                .isInstanceOf(AgentException.class)
                .hasMessageEndingWith(
                        ": mariadb %s is fenced by this agent; release it before setting its replication position"
                                .formatted(PRIMARY));
        agent.release(PRIMARY, true);

        ReplicationState seeded = agent.setPosition(PRIMARY, new GtidPosition(own));
        assertThat(seeded.readOnly()).isTrue();
        assertThat(seeded.gtidSlavePos()).isEqualTo(own);
        assertThat(seeded.source()).isNull();
        assertThatThrownBy(() -> new GtidPosition("0-1-1'; SET GLOBAL read_only = 0; '"))
                .hasMessageStartingWith("gtid '0-1-1'; SET");
        assertThatThrownBy(() -> new ReplicationUser("repl'@'%", "/x"))
                .hasMessage("user 'repl'@'%' is not a user name of letters, digits and underscores");
    }

    @Test
    @Order(9)
    void endingTheClientSessionsSparesTheAgentsOwnVerbs() throws Exception {
        CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                agent.awaitGtid(REPLICA, new GtidWait("0-1-999999", 4));
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        assertEventually(
                Duration.ofSeconds(10),
                () -> assertThat(replica.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                                        + " WHERE INFO LIKE 'SELECT MASTER_GTID_WAIT%'")
                                .strip())
                        .isEqualTo("1"));
        agent.endSessions(REPLICA, REPLICATION_USER);
        // The wait ran to its own end: it was not killed with the clients.
        assertThat(waiting.get(30, TimeUnit.SECONDS))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("did not apply '0-1-999999' within 4 s");
    }

    @Test
    @Order(10)
    void sessionsEndedSideBySideNeverEndTheAgentsOwn() throws Exception {
        // A switchover ends the old primary's sessions once per gateway reload, in parallel, while
        // other verbs read its state: none of those may kill the session of another.
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            calls.add(CompletableFuture.runAsync(() -> agent.endSessions(REPLICA, REPLICATION_USER)));
            calls.add(CompletableFuture.runAsync(() -> agent.replicationState(REPLICA)));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    private static ReplicationSource source() {
        return new ReplicationSource("127.0.0.1", primary.port(), REPLICATION_USER, replicationPassword.toString());
    }

    private static InstanceSpec spec(String id, TestingMariaDb server, Path password) {
        return server.spec(id, dir, "admin", password, "/nonexistent/my.cnf", "");
    }

    private static Connection connect(TestingMariaDb server) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "admin");
        properties.setProperty("password", "adm-secret-2");
        properties.setProperty("sslMode", "disable");
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:%d/".formatted(server.port()), properties);
    }

    private static Path secret(String name, String value) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, value + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
