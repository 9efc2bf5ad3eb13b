package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.ProbeResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SqlPing and ReplicaRunning against a real primary and a real replica of it. */
class MariaDbProbeTest {
    @TempDir
    static Path dir;

    private static TestingMariaDb primary;
    private static TestingMariaDb replica;
    private static ProbeRunner probes;

    @BeforeAll
    static void startPrimaryAndReplica() throws IOException, InterruptedException {
        probes = new ProbeRunner();
        Path template = dir.resolve("template");
        TestingMariaDb.installDataDir(template);
        primary = TestingMariaDb.start(template, Files.createDirectories(dir.resolve("primary")), 1);
        replica = TestingMariaDb.start(template, Files.createDirectories(dir.resolve("replica")), 2);
        // Each server made its own flotilla user; the replica must not replay the primary's.
        replica.sql("SET GLOBAL replicate_wild_ignore_table = 'mysql.%'");
        replica.sql(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
                        .formatted(
                                primary.port(), TestingMariaDb.USER, ProbeRunner.readPassword(primary.passwordFile())));
    }

    @AfterAll
    static void stopServers() {
        if (replica != null) {
            replica.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void sqlPingSucceedsWithThePasswordFromTheFile() {
        assertThat(probes.run(sqlPing(primary, primary.passwordFile())))
                .isEqualTo(
                        ProbeResult.ready("SELECT 1 succeeded on 127.0.0.1:%d as flotilla".formatted(primary.port())));
    }

    @Test
    void sqlPingReportsAWrongPassword() throws IOException {
        Path wrong = Files.writeString(dir.resolve("wrong.password"), "not-the-password");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));

        ProbeResult result = probes.run(sqlPing(primary, wrong));

        assertThat(result.ready()).isFalse();
        assertThat(result.detail())
                .startsWith("SQL connection to 127.0.0.1:%d as flotilla failed: ".formatted(primary.port()))
                .contains("Access denied for user 'flotilla'@'127.0.0.1' (using password: YES)");
    }

    @Test
    void sqlPingReportsARefusedConnection() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }

        assertThat(probes.run(new Probe.SqlPing(
                        "127.0.0.1", closed, "flotilla", primary.passwordFile().toString())))
                .isEqualTo(ProbeResult.notReady("connection refused on 127.0.0.1:%d".formatted(closed)));
    }

    @Test
    void replicaRunningSeesBothThreadsRunning() {
        Probe probe = new Probe.ReplicaRunning(
                "127.0.0.1",
                replica.port(),
                TestingMariaDb.USER,
                replica.passwordFile().toString());

        assertEventually(
                Duration.ofSeconds(20),
                () -> assertThat(probes.run(probe).detail())
                        .startsWith("Slave_IO_Running=Yes, Slave_SQL_Running=Yes, Seconds_Behind_Master="));
        assertThat(probes.run(probe).ready()).isTrue();
    }

    @Test
    void replicaRunningSaysWhenTheServerIsNotAReplica() {
        assertThat(probes.run(new Probe.ReplicaRunning(
                        "127.0.0.1",
                        primary.port(),
                        TestingMariaDb.USER,
                        primary.passwordFile().toString())))
                .isEqualTo(ProbeResult.notReady(
                        "127.0.0.1:%d is not a replica: SHOW SLAVE STATUS returned no rows".formatted(primary.port())));
    }

    @Test
    void replicaRunningShowsTheIoErrorOfAReplicaThatCannotConnect() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        primary.sql(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='nobody', MASTER_PASSWORD='x', MASTER_CONNECT_RETRY=1; START SLAVE"
                        .formatted(closed));
        try {
            Probe probe = new Probe.ReplicaRunning(
                    "127.0.0.1",
                    primary.port(),
                    TestingMariaDb.USER,
                    primary.passwordFile().toString());

            assertEventually(
                    Duration.ofSeconds(20),
                    () -> assertThat(probes.run(probe))
                            .satisfies(result -> assertThat(result.ready()).isFalse())
                            .extracting(ProbeResult::detail)
                            .asString()
                            .startsWith(
                                    "Slave_IO_Running=Connecting, Slave_SQL_Running=Yes, Last_IO_Error=error connecting to master 'nobody@127.0.0.1:%d'"
                                            .formatted(closed)));
        } finally {
            primary.sql("STOP SLAVE; RESET SLAVE ALL");
        }
    }

    private static Probe sqlPing(TestingMariaDb server, Path passwordFile) {
        return new Probe.SqlPing("127.0.0.1", server.port(), TestingMariaDb.USER, passwordFile.toString());
    }
}
