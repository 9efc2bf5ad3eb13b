package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.wait.Wait;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Switchover of the MariaDB primary on this machine (no SSH), with real MariaDB and HAProxy: the
 * refusals, a switchover, one killed with {@code kill -9} and finished by the same command, and a
 * scale-in of the primary that switches over first.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalSwitchoverTest {
    private static final String NAME = "lswitch";
    private static final String A = "127.0.0.1:16506";
    private static final String B = "127.0.0.1:16507";
    private static final String C = "127.0.0.1:16508";
    private static final int WRITE_PORT = 16600;

    @TempDir
    static Path root;

    private static Path home;
    private static Cli cli;
    private static String password;

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
                  node_exporter_port: 16700
                  blackbox_exporter_port: 16715
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                mariadb_servers:
                  - { host: 127.0.0.1, port: 16506 }
                  - { host: 127.0.0.1, port: 16507 }
                  - { host: 127.0.0.1, port: 16508 }
                haproxy_servers:
                  - { host: 127.0.0.1, port: 16600, read_port: 16601, stats_port: 16604 }
                """.formatted(System.getProperty("user.name"), root, root));
        Cli.Result deploy = cli.run("cluster", "deploy", NAME, topology.toString(), "--yes");
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        password = cli.run("cluster", "password", NAME).out().strip();
        try (Connection primary = LocalClusterTest.connect(WRITE_PORT, password);
                Statement statement = primary.createStatement()) {
            statement.execute("CREATE DATABASE fleet");
            statement.execute("CREATE TABLE fleet.ships (id INT PRIMARY KEY, written_on BIGINT)");
            statement.execute("INSERT INTO fleet.ships VALUES (1, @@server_id)");
        }
    }

    @AfterAll
    static void destroy() {
        if (Files.exists(home.resolve("clusters").resolve(NAME))) {
            cli.run("cluster", "destroy", NAME, "--yes");
        }
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    @Order(1)
    void whatCannotBecomeThePrimaryIsRefusedAndNothingChanges() throws Exception {
        Cli.Result unknown = cli.run("cluster", "switchover", NAME, "--to", "127.0.0.1:16999");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err())
                .isEqualTo(
                        "Error: 127.0.0.1:16999 is not an instance of cluster 'lswitch'; its MariaDB replicas are %s, %s%n"
                                .formatted(B, C));

        Cli.Result gateway = cli.run("cluster", "switchover", NAME, "--to", "127.0.0.1:16600");
        assertThat(gateway.exitCode()).isEqualTo(1);
        assertThat(gateway.err())
                .isEqualTo(
                        "Error: 127.0.0.1:16600 is a haproxy instance, not a MariaDB replica of cluster 'lswitch'; its MariaDB replicas are %s, %s%n"
                                .formatted(B, C));

        Cli.Result primary = cli.run("cluster", "scale-in", NAME, "-N", A, "--yes");
        assertThat(primary.exitCode()).isEqualTo(1);
        assertThat(primary.err())
                .isEqualTo(
                        "Error: %s is the MariaDB primary of cluster 'lswitch': every write goes to it. Switch it over to a replica as it leaves with --switchover-to HOST:PORT (its replicas: %s, %s), or first with `flotilla cluster switchover lswitch --to HOST:PORT`%n"
                                .formatted(A, B, C));

        // A replica whose SQL thread is stopped has not applied what the primary wrote: refused.
        execute(B, "STOP SLAVE SQL_THREAD");
        try {
            Cli.Result broken = cli.run("cluster", "switchover", NAME, "--to", B);
            assertThat(broken.exitCode()).isEqualTo(1);
            assertThat(broken.err())
                    .endsWith(
                            "Error: check that %1$s replicates from %2$s failed: %1$s cannot become the primary of cluster 'lswitch': the replication of %1$s is broken (Slave_IO_Running: Yes, Slave_SQL_Running: No). Nothing was changed; fix its replication (see `flotilla cluster display lswitch`) or choose another replica%n"
                                    .formatted(B, A));
        } finally {
            execute(B, "START SLAVE SQL_THREAD");
        }
        assertThat(queryLong(A, "SELECT @@read_only")).isZero();
        assertTheGatewayWritesTo(A, 1L, 2);

        // A replica whose threads run but that cannot apply (a session holds a lock on the table) does not
        // catch up: the switchover gives up after --wait and the primary is writable again.
        try (Connection replica = LocalClusterTest.connect(port(C), password);
                Statement lock = replica.createStatement()) {
            lock.execute("LOCK TABLES fleet.ships READ");
            try (Connection writes = LocalClusterTest.connect(WRITE_PORT, password);
                    Statement statement = writes.createStatement()) {
                statement.execute("INSERT INTO fleet.ships VALUES (3, @@server_id)");
            }
            Cli.Result stuck = cli.run("cluster", "switchover", NAME, "--to", C, "--wait", "2");
            assertThat(stuck.exitCode()).isEqualTo(1);
            String gtid = "0-1-\\d+";
            assertThat(stuck.err())
                    .matches("(?s).*"
                            + Pattern.quote(
                                    "Error: fence %1$s and wait for %2$s to apply all of it failed: %2$s did not apply the primary's transactions up to '"
                                            .formatted(A, C))
                            + gtid
                            + Pattern.quote("' within 2 s (it is at '")
                            + gtid
                            + Pattern.quote(
                                    "'; Slave_IO_Running: Yes, Slave_SQL_Running: Yes). %s is writable again and nothing else changed; fix the replica and run the same command again, or choose another replica\n"
                                            .formatted(A)));
            assertThat(queryLong(A, "SELECT @@read_only")).isZero();
            lock.execute("UNLOCK TABLES");
        }
        assertTheGatewayWritesTo(A, 1L, 4);
        assertThat(Files.readString(home.resolve("clusters").resolve(NAME).resolve("topology.yaml")))
                .doesNotContain("role:");
    }

    @Test
    @Order(2)
    void aReplicaBecomesThePrimaryAndTheGatewayWritesToIt() throws Exception {
        Cli.Result dryRun = cli.run("cluster", "switchover", NAME, "--to", B, "--dry-run");
        assertThat(dryRun.exitCode()).as(dryRun.all()).isZero();
        assertThat(dryRun.out()).isEqualTo("""
                switchover lswitch: 6 steps
                  - check that %2$s replicates from %1$s
                  - fence %1$s and wait for %2$s to apply all of it
                  - make %2$s the primary
                  Reload the gateway (in parallel)
                    - reload haproxy 127.0.0.1:16600
                  Replicate from the new primary (in parallel)
                    - make %3$s replicate from %2$s
                  - release %1$s and make it replicate from %2$s
                """.formatted(A, B, C));

        execute(A, "CREATE TABLE fleet.log (id INT PRIMARY KEY, written_on BIGINT)");
        GatewayWriter writer = new GatewayWriter("127.0.0.1", WRITE_PORT, password);
        writer.start();
        assertEventually(
                Duration.ofSeconds(10), () -> assertThat(writer.acknowledged()).hasSizeGreaterThan(20));
        long started = System.nanoTime();
        Cli.Result switchover = cli.run("cluster", "switchover", NAME, "--to", B);
        long millis = (System.nanoTime() - started) / 1_000_000;
        int before = writer.acknowledged().size();
        assertEventually(
                Duration.ofSeconds(20), () -> assertThat(writer.acknowledged()).hasSizeGreaterThan(before + 20));
        writer.stop();

        assertThat(switchover.exitCode()).as(switchover.all()).isZero();
        assertThat(switchover.out())
                .isEqualTo("Cluster 'lswitch' switched over: %s is the primary, %s a replica.%n".formatted(B, A));
        assertThat(switchover.err()).contains("make %s the primary".formatted(B));
        System.out.printf(
                "switchover to %s took %d ms; a writer through the gateway had %d writes acknowledged, %d failed, and waited at most %d ms for one%n",
                B, millis, writer.acknowledged().size(), writer.failures(), writer.longestGapMillis());
        // No write the gateway acknowledged is lost, on the new primary or on any replica.
        List<Integer> acknowledged = writer.acknowledged();
        for (String instance : List.of(B, A, C)) {
            assertEventually(
                    Duration.ofSeconds(20),
                    () -> assertThat(ids(instance, "fleet.log")).as(instance).containsAll(acknowledged));
        }
        assertThat(queryLong(B, "SELECT written_on FROM fleet.log WHERE id = " + acknowledged.getLast()))
                .isEqualTo(2L);
        assertThat(queryLong(A, "SELECT COUNT(*) FROM fleet.log WHERE written_on = 2"))
                .as("the old primary replicates what the new one wrote")
                .isPositive();

        assertTheGatewayWritesTo(B, 2L, 5);
        assertThat(queryLong(A, "SELECT @@read_only")).isEqualTo(1L);
        assertThat(queryLong(B, "SELECT @@read_only")).isZero();
        assertThat(roles())
                .containsExactly(A + " mariadb-replica Up", B + " mariadb-primary Up", C + " mariadb-replica Up");

        Cli.Result again = cli.run("cluster", "switchover", NAME, "--to", B);
        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.out())
                .isEqualTo("%s is already the primary of cluster 'lswitch'; nothing changed.%n".formatted(B));
    }

    @Test
    @Order(3)
    void aSwitchoverKilledMidwayFinishesWhenRunAgain() throws Exception {
        Path journal = home.resolve("clusters").resolve(NAME).resolve("journal").resolve("current.jsonl");
        Process first = cli.start(root.resolve("switchover-1.log"), "cluster", "switchover", NAME, "--to", C);
        assertEventually(
                Duration.ofSeconds(60),
                () -> assertThat(journal)
                        .content()
                        .contains("\"event\":\"started\",\"time\"")
                        .contains("\"step\":\"switchover/promote/" + C));
        first.destroyForcibly();
        assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(journal)).doesNotContain("\"event\":\"end\"");
        assertThat(Files.readString(home.resolve("clusters").resolve(NAME).resolve("topology.yaml")))
                .as("the roles change only when every step finished")
                .contains("port: 16507\n  role: primary");

        Cli.Result again = cli.run("cluster", "switchover", NAME, "--to", C);

        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.err()).contains("Resuming operation ").contains("done in an earlier run");
        assertThat(again.out())
                .isEqualTo("Cluster 'lswitch' switched over: %s is the primary, %s a replica.%n".formatted(C, B));
        assertThat(Files.readString(journal)).contains("\"event\":\"resume\"").contains("\"result\":\"ok\"");
        assertTheGatewayWritesTo(C, 3L, 6);
        assertThat(roles())
                .containsExactly(A + " mariadb-replica Up", B + " mariadb-replica Up", C + " mariadb-primary Up");
    }

    @Test
    @Order(4)
    void thePrimaryLeavesWithASwitchoverFirst() throws Exception {
        Cli.Result wrongOption = cli.run("cluster", "scale-in", NAME, "-N", A, "--switchover-to", B, "--yes");
        assertThat(wrongOption.exitCode()).isEqualTo(1);
        assertThat(wrongOption.err())
                .isEqualTo(
                        "Error: --switchover-to is only for removing the MariaDB primary of cluster 'lswitch', %s; remove %s without it%n"
                                .formatted(C, A));

        Cli.Result dryRun = cli.run("cluster", "scale-in", NAME, "-N", C, "--switchover-to", A, "--dry-run");
        assertThat(dryRun.exitCode()).as(dryRun.all()).isZero();
        assertThat(dryRun.out())
                .startsWith("switchover lswitch: 6 steps\n")
                .contains("  - make %s the primary\n".formatted(A))
                .contains("scale-in lswitch: ")
                .contains("- stop mariadb %s\n".formatted(C));

        Cli.Result scaleIn = cli.run("cluster", "scale-in", NAME, "-N", C, "--switchover-to", A, "--yes");

        assertThat(scaleIn.exitCode()).as(scaleIn.all()).isZero();
        assertThat(scaleIn.out()).isEqualTo("Cluster 'lswitch' scaled in: mariadb %s.%n".formatted(C));
        assertThat(scaleIn.err()).contains("make %s the primary".formatted(A)).contains("stop mariadb " + C);
        assertTheGatewayWritesTo(A, 1L, 7);
        assertThat(roles()).containsExactly(A + " mariadb-primary Up", B + " mariadb-replica Up");
        assertThat(root.resolve("data/mariadb-16508")).doesNotExist();
    }

    @Test
    @Order(5)
    void writesThatReachTheOldPrimaryWhileASwitchoverIsInterruptedAreReportedNotReplicatedOver() throws Exception {
        Path journal = home.resolve("clusters").resolve(NAME).resolve("journal").resolve("current.jsonl");
        Process first = cli.start(root.resolve("switchover-2.log"), "cluster", "switchover", NAME, "--to", B);
        // Killed right after the promotion. The steps after it (the gateway's reload, then the old
        // primary's repoint) may take less than a second here, and a busy machine may not let this
        // test look in time: from the promotion's start the command runs in slices of 2 ms between
        // SIGSTOPs, and the journal is read while it is stopped.
        String promote = "\"step\":\"switchover/promote/" + B + "\"}";
        assertThat(Wait.until(
                        Duration.ofSeconds(60),
                        Duration.ofMillis(2),
                        () -> Files.exists(journal)
                                && Files.readString(journal).lines().anyMatch(line -> line.contains(promote))))
                .as("the promotion of %s begins", B)
                .isTrue();
        // Each look stops the command; one that finds the promotion not done yet lets it run on.
        boolean promoted = Wait.until(Duration.ofSeconds(60), Duration.ofMillis(2), () -> {
            signal(first, "STOP");
            boolean done = Files.readString(journal)
                    .lines()
                    .anyMatch(line -> line.contains("\"event\":\"done\"") && line.contains(promote));
            if (!done) {
                signal(first, "CONT");
            }
            return done;
        });
        assertThat(promoted).as("the promotion of %s is journaled as done", B).isTrue();
        first.destroyForcibly();
        assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
        // The agent still holds the fence; once it lapses (its hold is over, or the agent restarted),
        // root writes past read_only. Here it is released through the agent's API at once.
        ClusterStore store = new FlotillaHome(home).cluster(NAME);
        try (AgentClient agent = new AgentClient(
                URI.create("https://127.0.0.1:" + store.meta().agentPorts().get("127.0.0.1")),
                store.secrets().agentToken(),
                store.tls().context(),
                Duration.ofSeconds(10))) {
            assertThat(agent.replicationState(A).fenced())
                    .as("the fence outlives the command")
                    .isTrue();
            agent.release(A, false);
        }
        assertEventually(Duration.ofSeconds(10), () -> {
            try (Connection old = LocalClusterTest.connect(port(A), password);
                    Statement statement = old.createStatement()) {
                statement.execute("SET SESSION lock_wait_timeout = 1");
                statement.execute("INSERT INTO fleet.ships VALUES (100, @@server_id)");
            }
        });

        Cli.Result again = cli.run("cluster", "switchover", NAME, "--to", B);

        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err())
                .contains("Resuming operation ")
                .containsPattern(Pattern.quote("%s has transactions the new primary %s lacks (its binlog ends at '0-1-"
                                .formatted(A, B))
                        + "\\d+"
                        + Pattern.quote("', the new primary applied it up to '0-1-")
                        + "\\d+"
                        + Pattern.quote(
                                "'): writes reached it while the switchover was interrupted and it was not fenced. It stays read-only and replicates from nothing; compare the two, remove the extra transactions from %s (or rebuild it: scale it in and out), then run the same command again"
                                        .formatted(A)));
        assertThat(queryLong(A, "SELECT COUNT(*) FROM fleet.ships WHERE id = 100"))
                .isEqualTo(1L);
        assertThat(queryLong(B, "SELECT COUNT(*) FROM fleet.ships WHERE id = 100"))
                .isZero();
        assertThat(queryLong(A, "SELECT @@read_only")).isEqualTo(1L);
        try (Connection old = LocalClusterTest.connect(port(A), password);
                Statement statement = old.createStatement();
                ResultSet status = statement.executeQuery("SHOW SLAVE STATUS")) {
            assertThat(status.next())
                    .as("the old primary replicates from nothing")
                    .isFalse();
        }
    }

    /** A row written through the gateway's write port lands on {@code primary} and reaches every other instance. */
    private static void assertTheGatewayWritesTo(String primary, long serverId, int row) throws Exception {
        try (Connection gateway = LocalClusterTest.connect(WRITE_PORT, password);
                Statement statement = gateway.createStatement()) {
            statement.execute("INSERT INTO fleet.ships VALUES (%d, @@server_id)".formatted(row));
        }
        assertThat(writtenOn(row)).isEqualTo(serverId);
        for (String instance : instances()) {
            assertEventually(
                    Duration.ofSeconds(20),
                    () -> assertThat(queryLong(instance, "SELECT COUNT(*) FROM fleet.ships"))
                            .as(instance)
                            .isEqualTo(row));
        }
        assertThat(queryLong(primary, "SELECT COUNT(*) FROM fleet.ships")).isEqualTo(row);
    }

    private static List<String> instances() throws Exception {
        List<String> ids = new ArrayList<>();
        for (String line : roles()) {
            ids.add(line.split(" ")[0]);
        }
        return ids;
    }

    /** {@code id role status} of each MariaDB instance, as `cluster display` shows them. */
    private static List<String> roles() {
        Cli.Result display = cli.run("cluster", "display", NAME);
        assertThat(display.exitCode()).as(display.all()).isZero();
        return display.out()
                .lines()
                .filter(line -> line.contains(" mariadb-"))
                .map(line -> line.trim().split("\\s+"))
                .map(fields -> fields[0] + " " + fields[1] + " " + fields[4])
                .toList();
    }

    private static List<Integer> ids(String instance, String table) throws Exception {
        List<Integer> ids = new ArrayList<>();
        try (Connection connection = LocalClusterTest.connect(port(instance), password);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT id FROM " + table)) {
            while (rows.next()) {
                ids.add(rows.getInt(1));
            }
        }
        return ids;
    }

    private static long writtenOn(int row) throws Exception {
        try (Connection gateway = LocalClusterTest.connect(WRITE_PORT, password);
                Statement statement = gateway.createStatement();
                ResultSet result = statement.executeQuery("SELECT written_on FROM fleet.ships WHERE id = " + row)) {
            assertThat(result.next()).as("row %d", row).isTrue();
            return result.getLong(1);
        }
    }

    private static long queryLong(String instance, String sql) throws Exception {
        try (Connection connection = LocalClusterTest.connect(port(instance), password);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getLong(1);
        }
    }

    private static void execute(String instance, String sql) throws Exception {
        try (Connection connection = LocalClusterTest.connect(port(instance), password);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static int port(String instance) {
        return Integer.parseInt(instance.substring(instance.indexOf(':') + 1));
    }

    private static void signal(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .redirectErrorStream(true)
                .start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
}
