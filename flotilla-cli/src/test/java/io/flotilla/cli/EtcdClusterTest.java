package io.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 3-member etcd cluster, checked with the real etcdctl, plus Alertmanager. */
class EtcdClusterTest {
    @TempDir
    static Path root;

    @AfterAll
    static void cleanUp() {
        Cli cli = new Cli(root.resolve("home"));
        if (Files.exists(root.resolve("home/clusters/ec"))) {
            cli.run("cluster", "destroy", "ec", "--yes");
        }
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void threeMembersFormOneClusterInOrder() throws Exception {
        Path topology = root.resolve("etcd.yaml");
        Files.writeString(topology, """
                global:
                  user: "%s"
                  deploy_dir: "%s/deploy"
                  data_dir: "%s/data"
                  listen_host: 127.0.0.1
                monitored:
                  node_exporter_port: 26100
                  blackbox_exporter_port: 26115
                etcd_servers:
                  - { host: 127.0.0.1, client_port: 26379, peer_port: 26380, name: e1 }
                  - { host: 127.0.0.1, client_port: 26479, peer_port: 26480, name: e2 }
                  - { host: 127.0.0.1, client_port: 26579, peer_port: 26580, name: e3 }
                alertmanager_servers:
                  - { host: 127.0.0.1, web_port: 26093, cluster_port: 26094 }
                """.formatted(System.getProperty("user.name"), root, root));
        Cli cli = new Cli(root.resolve("home"));
        Cli.Result deploy = cli.run("cluster", "deploy", "ec", topology.toString(), "--yes");
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", "ec");
        assertThat(start.exitCode()).as(start.all()).isZero();
        assertThat(start.out()).contains("etcd         127.0.0.1:26379,127.0.0.1:26479,127.0.0.1:26579");

        String members = etcdctl("member", "list");
        assertThat(members)
                .contains("e1, http://127.0.0.1:26380")
                .contains("e2, http://127.0.0.1:26480")
                .contains("e3, http://127.0.0.1:26580");
        etcdctl("put", "flotilla", "afloat");
        assertThat(etcdctl("get", "flotilla", "--print-value-only").strip()).isEqualTo("afloat");

        Cli.Result display = cli.run("cluster", "display", "ec");
        assertThat(display.out()).contains("127.0.0.1:26093").doesNotContain("Down");

        Cli.Result stop = cli.run("cluster", "stop", "ec");
        assertThat(stop.exitCode()).as(stop.all()).isZero();
        assertThat(cli.run("cluster", "display", "ec").out()).contains("Down").doesNotContain(" Up ");
    }

    private static String etcdctl(String... args) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(
                "etcdctl", "--endpoints=127.0.0.1:26379,127.0.0.1:26479,127.0.0.1:26579", "--dial-timeout=5s"));
        command.addAll(java.util.List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("ETCDCTL_API", "3");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
