package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.AcknowledgingWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic failover of a cluster deployed and started on this machine by the real commands: etcd,
 * three MariaDB with lossless semi-sync and HAProxy, {@code ha: {enabled: true}} with a 4 s ttl.
 * The topology's primary leads once started; a writer inserts through the gateway's write port as
 * an application account and records every acknowledged id; the primary's mariadbd is frozen with
 * SIGSTOP, and writes go on through the same port on a replica the agents promoted; every
 * acknowledged id is on the new primary and the other replica; thawed, the old primary is
 * read-only and either rejoined with nothing the new one lacks or quarantined with only
 * never-acknowledged rows of its own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalFailoverTest {
    private static final String NAME = "lfail";
    private static final List<Integer> PORTS = List.of(17506, 17507, 17508);
    private static final int WRITE_PORT = 17600;

    @TempDir
    static Path root;

    private static Path home;
    private static Cli cli;
    private static String password;
    private static AcknowledgingWriter writer;

    @BeforeAll
    static void deployAndStart() throws Exception {
        home = root.resolve("home");
        cli = new Cli(home);
        Path topology = root.resolve("topology.yaml");
        Files.writeString(topology, """
                global:
                  user: "%s"
                  deploy_dir: "%s/deploy"
                  data_dir: "%s/data"
                  listen_host: 127.0.0.1
                monitored:
                  node_exporter_port: 17700
                  blackbox_exporter_port: 17715
                ha:
                  enabled: true
                  ttl: 4s
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                etcd_servers:
                  - { host: 127.0.0.1, client_port: 17379, peer_port: 17380 }
                mariadb_servers:
                  - { host: 127.0.0.1, port: 17506 }
                  - { host: 127.0.0.1, port: 17507 }
                  - { host: 127.0.0.1, port: 17508 }
                haproxy_servers:
                  - { host: 127.0.0.1, port: 17600, read_port: 17601, stats_port: 17604 }
                """.formatted(System.getProperty("user.name"), root, root));
        Cli.Result deploy = cli.run("cluster", "deploy", NAME, topology.toString(), "--yes");
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        password = cli.run("cluster", "password", NAME).out().strip();
        try (Connection gateway = LocalClusterTest.connect(WRITE_PORT, password);
                Statement statement = gateway.createStatement()) {
            statement.execute("CREATE DATABASE fleet");
            statement.execute("CREATE TABLE fleet.acks (id BIGINT PRIMARY KEY)");
            // What the fence must stop: an account without READ_ONLY ADMIN, as applications use.
            statement.execute("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pass-8'");
            statement.execute("GRANT SELECT, INSERT ON fleet.* TO 'app'@'%'");
        }
    }

    @AfterAll
    static void destroy() throws Exception {
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                .forEach(process -> signal(process.pid(), "CONT"));
        if (writer != null) {
            writer.close();
        }
        if (Files.exists(home.resolve("clusters").resolve(NAME))) {
            cli.run("cluster", "destroy", NAME, "--yes");
        }
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    @Order(1)
    void theTopologysPrimaryLeadsAndTheGatewayWritesToIt() throws Exception {
        assertThat(readOnly(0)).isFalse();
        // A switchover beside the agents would fight them: refused, nothing changed.
        Cli.Result switchover = cli.run("cluster", "switchover", NAME, "--to", "127.0.0.1:17507");
        assertThat(switchover.exitCode()).isEqualTo(1);
        assertThat(switchover.err())
                .isEqualTo("Error: cluster 'lfail' fails over by itself (ha in its topology): its agents hold the"
                        + " primary's lease in etcd, and a switchover that does not go through the lease would fight"
                        + " them; a planned switchover of an HA cluster is not built yet%n".formatted());
        assertEventually(Duration.ofSeconds(30), () -> {
            assertThat(readOnly(1)).isTrue();
            assertThat(readOnly(2)).isTrue();
            assertThat(sourcePort(1)).isEqualTo(PORTS.get(0));
            assertThat(sourcePort(2)).isEqualTo(PORTS.get(0));
        });
        assertThat(query(
                        0,
                        "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                                + " WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_STATUS'"))
                .isEqualTo("ON");
        Properties app = new Properties();
        app.setProperty("user", "app");
        app.setProperty("password", "app-pass-8");
        app.setProperty("sslMode", "disable");
        app.setProperty("connectTimeout", "3000");
        app.setProperty("socketTimeout", "3000");
        writer = new AcknowledgingWriter(
                "fleet.acks",
                app,
                () -> Optional.of(new AcknowledgingWriter.Target(
                        "gateway", "jdbc:mariadb://127.0.0.1:%d/".formatted(WRITE_PORT))));
        assertEventually(
                Duration.ofSeconds(20), () -> assertThat(writer.acknowledged()).hasSizeGreaterThan(200));
        assertThat(rows(0))
                .containsAll(
                        Set.copyOf(writer.acknowledged()).stream().limit(100).toList());
    }

    @Test
    @Order(2)
    void aFrozenPrimaryIsReplacedAndNoAcknowledgedWriteIsLost() throws Exception {
        long frozen = mariadbd(0);
        int before = writer.acknowledged().size();
        signal(frozen, "STOP");
        int next;
        try {
            assertEventually(Duration.ofSeconds(60), () -> {
                assertThat(writer.acknowledged().size()).isGreaterThan(before + 200);
                assertThat(readOnly(1) && readOnly(2))
                        .as("a replica was promoted")
                        .isFalse();
            });
            next = readOnly(1) ? 2 : 1;
        } finally {
            signal(frozen, "CONT");
        }
        int other = 3 - next;
        assertEventually(Duration.ofSeconds(30), () -> {
            assertThat(readOnly(0)).as("the thawed primary is read-only").isTrue();
            assertThat(readOnly(other)).isTrue();
            assertThat(sourcePort(other)).isEqualTo(PORTS.get(next));
        });
        writer.close();
        Set<Long> acknowledged = writer.acknowledged();
        assertThat(rows(next)).as("acknowledged ids on the new primary").containsAll(acknowledged);
        awaitApplied(other, next);
        assertThat(rows(other)).as("acknowledged ids on the other replica").containsAll(acknowledged);
        assertThat(readOnly(next)).isFalse();

        // The old primary rejoins when it holds nothing the new one lacks; otherwise only unacknowledged rows are its
        // own.
        Set<Long> extra = new HashSet<>(rows(0));
        extra.removeAll(rows(next));
        if (sourcePort(0) == PORTS.get(next)) {
            awaitApplied(0, next);
            assertThat(rows(0)).containsAll(acknowledged);
            assertThat(extra).isEmpty();
        } else {
            assertThat(extra).isNotEmpty().doesNotContainAnyElementsOf(acknowledged);
        }
    }

    private static boolean readOnly(int member) throws Exception {
        return query(member, "SELECT @@GLOBAL.read_only").equals("1");
    }

    /** The port the member replicates from, 0 when it replicates from nothing. */
    private static int sourcePort(int member) throws Exception {
        try (Connection connection = LocalClusterTest.connect(PORTS.get(member), password);
                Statement statement = connection.createStatement();
                ResultSet status = statement.executeQuery("SHOW SLAVE STATUS")) {
            return status.next() ? status.getInt("Master_Port") : 0;
        }
    }

    private static void awaitApplied(int member, int primary) throws Exception {
        String written = query(primary, "SELECT @@GLOBAL.gtid_binlog_pos");
        assertThat(query(member, "SELECT MASTER_GTID_WAIT('%s', 30)".formatted(written)))
                .as("%s applied %s", PORTS.get(member), written)
                .isEqualTo("0");
    }

    private static Set<Long> rows(int member) throws Exception {
        Set<Long> rows = new HashSet<>();
        try (Connection connection = LocalClusterTest.connect(PORTS.get(member), password);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT id FROM fleet.acks")) {
            while (result.next()) {
                rows.add(result.getLong(1));
            }
        }
        return rows;
    }

    private static String query(int member, String sql) throws Exception {
        try (Connection connection = LocalClusterTest.connect(PORTS.get(member), password);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        }
    }

    /** The pid of the member's mariadbd, found by its option file under this test's directory. */
    private static long mariadbd(int member) {
        String conf = root.resolve("deploy/mariadb-" + PORTS.get(member) + "/conf/my.cnf")
                .toString();
        return ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains("--defaults-file=" + conf))
                .findFirst()
                .orElseThrow()
                .pid();
    }

    private static void signal(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .redirectErrorStream(true)
                    .start()
                    .waitFor(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
