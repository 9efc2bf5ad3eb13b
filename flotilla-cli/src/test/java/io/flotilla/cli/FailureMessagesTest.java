package io.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input and broken hosts get a message that says what, where and what to do, and nothing starts. */
class FailureMessagesTest {
    @TempDir
    Path root;

    @AfterEach
    void cleanUp() {
        Cli cli = new Cli(root.resolve("home"));
        if (Files.exists(root.resolve("home/clusters/fm"))) {
            cli.run("cluster", "destroy", "fm", "--yes");
        }
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                .forEach(ProcessHandle::destroyForcibly);
    }

    private Path topology(String body) throws Exception {
        Path file = root.resolve("topology.yaml");
        Files.writeString(file, """
                global:
                  user: "%s"
                  deploy_dir: "%s/deploy"
                  data_dir: "%s/data"
                  listen_host: 127.0.0.1
                monitored:
                  node_exporter_port: 25100
                  blackbox_exporter_port: 25115
                """.formatted(System.getProperty("user.name"), root, root) + body);
        return file;
    }

    @Test
    void anInvalidTopologyIsReportedWithPositionsAndChangesNothing() throws Exception {
        Path file = topology("""
                mariadb_servers:
                  - host: 127.0.0.1
                    port: 99999
                  - host: 127.0.0.1
                    prot: 3307
                """);
        Cli.Result result = new Cli(root.resolve("home")).run("cluster", "deploy", "fm", file.toString(), "--yes");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err())
                .contains(file + ":11:11: ")
                .contains(file + ":13:5: ")
                .contains("Nothing was changed.");
        assertThat(root.resolve("home/clusters")).doesNotExist();
        assertThat(root.resolve("deploy")).doesNotExist();
    }

    @Test
    void anotherHostIsRefusedBeforeAnythingChanges() throws Exception {
        Path file = topology("""
                etcd_servers:
                  - host: 10.251.9.9
                """);
        Cli.Result result = new Cli(root.resolve("home")).run("cluster", "deploy", "fm", file.toString(), "--yes");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err())
                .isEqualTo(
                        "Error: host 10.251.9.9 is not this machine; to deploy to it over SSH give the login with --user, -i KEY and --known-hosts FILE (or --accept-new-host-keys)\n");
        assertThat(root.resolve("home/clusters")).doesNotExist();
    }

    @Test
    void componentsFlotillaDoesNotRunYetAreRefusedWithTheReason() throws Exception {
        Path file = topology("""
                pd_servers:
                  - host: 127.0.0.1
                    client_port: 25379
                    peer_port: 25380
                """);
        Cli.Result result = new Cli(root.resolve("home")).run("cluster", "deploy", "fm", file.toString(), "--yes");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err())
                .contains("host 127.0.0.1 is not ready for the cluster:")
                .contains(
                        "pd 127.0.0.1:25379: Flotilla does not run pd yet: its tarball can be fetched from a TiUP mirror (component_sources), but starting and operating it is not supported yet");
        assertThat(root.resolve("home/clusters/fm")).doesNotExist();
        assertThat(root.resolve("deploy")).doesNotExist();
    }

    @Test
    void aPortInUseIsNamedWithItsOwnerAtDeploy() throws Exception {
        Path file = topology("""
                etcd_servers:
                  - host: 127.0.0.1
                    client_port: 25479
                    peer_port: 25480
                """);
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 25479));
            Cli.Result result = new Cli(root.resolve("home")).run("cluster", "deploy", "fm", file.toString(), "--yes");
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.err())
                    .contains(
                            "etcd 127.0.0.1:25479: client_port 25479 is in use by pid %d (java); change it in %s:10:5 or stop that process"
                                    .formatted(ProcessHandle.current().pid(), file));
        }
        assertThat(root.resolve("home/clusters/fm")).doesNotExist();
    }

    @Test
    void anInstanceThatCannotStartIsExplainedWithItsLog() throws Exception {
        Path file = topology("""
                etcd_servers:
                  - host: 127.0.0.1
                    client_port: 25579
                    peer_port: 25580
                """);
        Cli cli = new Cli(root.resolve("home"));
        Cli.Result deploy = cli.run("cluster", "deploy", "fm", file.toString(), "--yes");
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 25580));
            long started = System.nanoTime();
            Cli.Result start = cli.run("cluster", "start", "fm");
            assertThat(start.exitCode()).isEqualTo(1);
            assertThat(start.err())
                    .contains(
                            "Error: wait for etcd 127.0.0.1:25579 failed: etcd 127.0.0.1:25579 did not become ready: its process exited")
                    .contains("port 25580 is in use by pid %d (java)"
                            .formatted(ProcessHandle.current().pid()))
                    .contains("could not start: port 25580 is in use by pid %d (java); nothing was launched beside it"
                            .formatted(ProcessHandle.current().pid()));
            assertThat(java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started))
                    .as("a process that exits fails the wait at once, not at the timeout")
                    .isLessThan(20);
        }
    }

    @Test
    void aDeployThatFailedHalfwayCanBeDestroyed() throws Exception {
        Path file = topology("""
                mariadb_servers:
                  - host: 127.0.0.1
                    port: 25306
                    config:
                      no_such_variable: 1
                """);
        Cli cli = new Cli(root.resolve("home"));
        Cli.Result deploy = cli.run("cluster", "deploy", "fm", file.toString(), "--yes");
        assertThat(deploy.exitCode()).isEqualTo(1);
        assertThat(deploy.err())
                .contains(
                        "Error: deploy mariadb 127.0.0.1:25306 failed: mariadb 127.0.0.1:25306: initialising its data failed")
                .contains("unknown variable 'no_such_variable=1'");

        Cli.Result destroy = cli.run("cluster", "destroy", "fm", "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
        assertThat(root.resolve("home/clusters/fm")).doesNotExist();
        assertThat(root.resolve("deploy")).doesNotExist();
        assertThat(ProcessHandle.allProcesses()
                        .map(process -> process.info().commandLine().orElse(""))
                        .filter(command -> command.contains(root.toString())))
                .isEmpty();
    }

    @Test
    void aDataDirThatHoldsFilesIsRefusedAndKeepsItsFileAndItsProcess() throws Exception {
        Path file = topology("""
                etcd_servers:
                  - host: 127.0.0.1
                    client_port: 25679
                    peer_port: 25680
                """);
        Path dataDir = Files.createDirectories(root.resolve("data/etcd-25679"));
        Path kept = Files.writeString(dataDir.resolve("keep.txt"), "an operator's file\n");
        Process holder = new ProcessBuilder("tail", "-f", kept.toString()).start();
        try {
            Cli.Result deploy = new Cli(root.resolve("home")).run("cluster", "deploy", "fm", file.toString(), "--yes");

            assertThat(deploy.exitCode()).isEqualTo(1);
            assertThat(deploy.err())
                    .contains("etcd 127.0.0.1:25679: %s already holds files (keep.txt) that Flotilla did not put there;"
                                    .formatted(dataDir)
                            + " empty it or choose another folder in the topology");
            assertThat(kept).hasContent("an operator's file");
            assertThat(holder.isAlive())
                    .as("the process with a file open there")
                    .isTrue();
            assertThat(dataDir).isDirectoryNotContaining(path -> !path.equals(kept));
            assertThat(root.resolve("deploy")).doesNotExist();
            assertThat(root.resolve("home/clusters/fm")).doesNotExist();
            assertThat(ProcessHandle.allProcesses()
                            .filter(process -> process.pid() != holder.pid())
                            .map(process -> process.info().commandLine().orElse(""))
                            .filter(command -> command.contains(root.toString())))
                    .as("nothing started")
                    .isEmpty();
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    @Test
    void destroyRemovesOnlyTheDirsMarkedAsTheClustersOwn() throws Exception {
        Path file = topology("""
                etcd_servers:
                  - host: 127.0.0.1
                    client_port: 25779
                    peer_port: 25780
                """);
        Path dataDir = Files.createDirectories(root.resolve("data/etcd-25779"));
        Cli cli = new Cli(root.resolve("home"));
        Cli.Result deploy = cli.run("cluster", "deploy", "fm", file.toString(), "--yes");
        assertThat(deploy.exitCode())
                .as("an empty dir is taken: " + deploy.all())
                .isZero();
        Path marker = dataDir.resolve(".flotilla-owner");
        String ours = Files.readString(marker);
        assertThat(ours).startsWith("flotilla cluster fm created ");

        Files.writeString(marker, "flotilla cluster other created 2020-01-01T00:00:00Z\n");
        Files.writeString(dataDir.resolve("keep.txt"), "kept");
        Cli.Result refused = cli.run("cluster", "destroy", "fm", "--yes");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .contains(
                        "etcd 127.0.0.1:25779: %s belongs to another cluster (%s says: flotilla cluster other created 2020-01-01T00:00:00Z);"
                                        .formatted(dataDir, marker)
                                + " Flotilla changes only what it made for this cluster");
        assertThat(dataDir.resolve("keep.txt")).hasContent("kept");

        Files.writeString(marker, ours);
        Cli.Result destroy = cli.run("cluster", "destroy", "fm", "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
        assertThat(dataDir).doesNotExist();
        assertThat(root.resolve("deploy")).doesNotExist();
    }
}
