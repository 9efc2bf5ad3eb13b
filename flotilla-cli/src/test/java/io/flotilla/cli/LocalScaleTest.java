package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out and scale-in of a cluster on this machine (no SSH): the same plans as on remote hosts,
 * run through the local executor.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalScaleTest {
    private static final String NAME = "lscale";
    private static final String ETCD = "letcd";

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
                  node_exporter_port: 15100
                  blackbox_exporter_port: 15115
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                mariadb_servers:
                  - { host: 127.0.0.1, port: 15306 }
                haproxy_servers:
                  - { host: 127.0.0.1, port: 15400, read_port: 15401, stats_port: 15404 }
                """.formatted(System.getProperty("user.name"), root, root));
        Cli.Result deploy = cli.run("cluster", "deploy", NAME, topology.toString(), "--yes");
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        password = cli.run("cluster", "password", NAME).out().strip();
    }

    @AfterAll
    static void destroy() {
        for (String cluster : List.of(NAME, ETCD)) {
            if (Files.exists(home.resolve("clusters").resolve(cluster))) {
                cli.run("cluster", "destroy", cluster, "--yes");
            }
        }
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    @Order(1)
    void aLocalReplicaIsClonedJoinsTheReadPoolAndLeavesAgain() throws Exception {
        try (Connection primary = LocalClusterTest.connect(15400, password);
                Statement statement = primary.createStatement()) {
            statement.execute("CREATE DATABASE fleet");
            statement.execute("CREATE TABLE fleet.ships (id INT PRIMARY KEY)");
            statement.execute("INSERT INTO fleet.ships VALUES (1)");
        }
        Path fragment = root.resolve("more.yaml");
        Files.writeString(fragment, """
                mariadb_servers:
                  - host: 127.0.0.1
                    port: 15307
                """);
        Cli.Result scaleOut = cli.run("cluster", "scale-out", NAME, fragment.toString(), "--yes");
        assertThat(scaleOut.exitCode()).as(scaleOut.all()).isZero();
        assertThat(scaleOut.out()).isEqualTo("Cluster 'lscale' scaled out: mariadb 127.0.0.1:15307.%n".formatted());
        assertThat(scaleOut.err()).contains("clone 127.0.0.1:15307 from 127.0.0.1:15306");

        try (Connection primary = LocalClusterTest.connect(15400, password);
                Statement statement = primary.createStatement()) {
            statement.execute("INSERT INTO fleet.ships VALUES (2)");
        }
        assertEventually(Duration.ofSeconds(20), () -> {
            try (Connection replica = LocalClusterTest.connect(15307, password);
                    Statement statement = replica.createStatement();
                    ResultSet count = statement.executeQuery("SELECT COUNT(*) FROM fleet.ships")) {
                count.next();
                assertThat(count.getInt(1)).isEqualTo(2);
            }
        });
        assertEventually(
                Duration.ofSeconds(20), () -> assertThat(readServerIds()).containsExactly(2L));

        Cli.Result scaleIn = cli.run("cluster", "scale-in", NAME, "-N", "127.0.0.1:15307", "--yes");
        assertThat(scaleIn.exitCode()).as(scaleIn.all()).isZero();
        assertThat(scaleIn.out()).isEqualTo("Cluster 'lscale' scaled in: mariadb 127.0.0.1:15307.%n".formatted());
        // With no replica left, the primary (a backup server of the read pool) answers reads.
        assertThat(readServerIds()).containsExactly(1L);
        assertThat(root.resolve("data/mariadb-15307")).doesNotExist();
    }

    @Test
    @Order(2)
    void anEtcdMemberLeavesTheMembershipAndTheLastOneIsKept() throws Exception {
        Path topology = root.resolve("etcd.yaml");
        Files.writeString(topology, """
                global:
                  user: "%s"
                  deploy_dir: "%s/etcd-deploy"
                  data_dir: "%s/etcd-data"
                  listen_host: 127.0.0.1
                etcd_servers:
                  - { host: 127.0.0.1, client_port: 15379, peer_port: 15380, name: e1, ignore_exporter: true }
                  - { host: 127.0.0.1, client_port: 15479, peer_port: 15480, name: e2, ignore_exporter: true }
                """.formatted(System.getProperty("user.name"), root, root));
        Cli.Result deploy = cli.run("cluster", "deploy", ETCD, topology.toString(), "--yes");
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", ETCD);
        assertThat(start.exitCode()).as(start.all()).isZero();
        assertThat(etcdctl("member", "list")).contains(", e1, ").contains(", e2, ");

        Cli.Result scaleIn = cli.run("cluster", "scale-in", ETCD, "-N", "127.0.0.1:15479", "--yes");
        assertThat(scaleIn.exitCode()).as(scaleIn.all()).isZero();
        assertThat(scaleIn.err()).contains("remove etcd member e2");
        assertThat(etcdctl("member", "list")).contains(", e1, ").doesNotContain(", e2, ");
        assertThat(root.resolve("etcd-data/etcd-15479")).doesNotExist();

        Cli.Result last = cli.run("cluster", "scale-in", ETCD, "-N", "127.0.0.1:15379", "--yes");
        assertThat(last.exitCode()).isEqualTo(1);
        assertThat(last.err())
                .isEqualTo(
                        "Error: 127.0.0.1:15379 is the last etcd member of cluster 'letcd'; etcd would lose its data with it. Add another member first, or destroy the cluster%n"
                                .formatted());
    }

    private static String etcdctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("etcdctl", "--endpoints=127.0.0.1:15379", "--dial-timeout=5s"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        return output;
    }

    private static Set<Long> readServerIds() throws Exception {
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            try (Connection connection = LocalClusterTest.connect(15401, password);
                    Statement statement = connection.createStatement();
                    ResultSet row = statement.executeQuery("SELECT @@server_id")) {
                row.next();
                ids.add(row.getLong(1));
            }
        }
        return ids;
    }
}
