package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out of etcd on this machine (no SSH), with real etcd and Prometheus: a new member is added
 * to the running cluster's membership before it starts, joins it, serves its data, and becomes a
 * Prometheus target; a scale-out killed with {@code kill -9} finishes when run again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalEtcdScaleOutTest {
    private static final String NAME = "letcdout";
    private static final String FIRST = "127.0.0.1:16879";
    private static final int PROMETHEUS = 16890;

    @TempDir
    static Path root;

    private static Path home;
    private static Cli cli;

    @BeforeAll
    static void deployAndStart() {
        home = root.resolve("home");
        cli = new Cli(home);
        Path topology = root.resolve("topology.yaml");
        try {
            Files.writeString(topology, """
                    global:
                      user: "%s"
                      deploy_dir: "%s/deploy"
                      data_dir: "%s/data"
                      listen_host: 127.0.0.1
                    etcd_servers:
                      - { host: 127.0.0.1, client_port: 16879, peer_port: 16880, name: e1, ignore_exporter: true }
                    monitoring_servers:
                      - { host: 127.0.0.1, port: 16890, ng_port: 16891, ignore_exporter: true }
                    """.formatted(System.getProperty("user.name"), root, root));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Cli.Result deploy = cli.run("cluster", "deploy", NAME, topology.toString(), "--yes");
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
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
    void aNewMemberIsAddedBeforeItStartsAndJoinsTheRunningCluster() throws Exception {
        etcdctl(FIRST, "put", "fleet", "flagship");
        Path fragment = root.resolve("e2.yaml");
        Files.writeString(fragment, """
                etcd_servers:
                  - { host: 127.0.0.1, client_port: 16979, peer_port: 16980, name: e2, ignore_exporter: true }
                """);

        Cli.Result dryRun = cli.run("cluster", "scale-out", NAME, fragment.toString(), "--dry-run");
        assertThat(dryRun.exitCode()).as(dryRun.all()).isZero();
        assertThat(dryRun.out()).contains("""
                    Start etcd
                      Join etcd member 127.0.0.1:16979
                        - add etcd member e2
                        - launch etcd 127.0.0.1:16979
                        - wait for etcd 127.0.0.1:16979
                """);

        Cli.Result scaleOut = cli.run("cluster", "scale-out", NAME, fragment.toString(), "--yes");

        assertThat(scaleOut.exitCode()).as(scaleOut.all()).isZero();
        assertThat(scaleOut.out()).isEqualTo("Cluster 'letcdout' scaled out: etcd 127.0.0.1:16979.%n".formatted());
        assertThat(scaleOut.err()).contains("add etcd member e2").contains("reload prometheus 127.0.0.1:16890");
        assertThat(etcdctl(FIRST, "member", "list"))
                .contains(", started, e1, http://127.0.0.1:16880, ")
                .contains(", started, e2, http://127.0.0.1:16980, ");
        // The new member has the data written before it joined, and what it writes reaches the first.
        assertThat(etcdctl("127.0.0.1:16979", "get", "fleet", "--print-value-only"))
                .isEqualTo("flagship\n");
        etcdctl("127.0.0.1:16979", "put", "escort", "frigate");
        assertThat(etcdctl(FIRST, "get", "escort", "--print-value-only")).isEqualTo("frigate\n");
        assertThat(prometheusConfig()).contains("- 127.0.0.1:16979\\n");
        assertThat(Files.readString(home.resolve("clusters").resolve(NAME).resolve("topology.yaml")))
                .contains("initial_cluster_state: existing");
    }

    @Test
    @Order(2)
    void anEtcdScaleOutKilledMidwayFinishesWhenRunAgain() throws Exception {
        Path fragment = root.resolve("e3.yaml");
        Files.writeString(fragment, """
                etcd_servers:
                  - { host: 127.0.0.1, client_port: 16881, peer_port: 16882, name: e3, ignore_exporter: true }
                """);
        Path journal = home.resolve("clusters").resolve(NAME).resolve("journal").resolve("current.jsonl");
        Process first =
                cli.start(root.resolve("scale-out-e3.log"), "cluster", "scale-out", NAME, fragment.toString(), "--yes");
        assertEventually(
                Duration.ofSeconds(60),
                () -> assertThat(journal)
                        .content()
                        .contains("\"event\":\"done\",\"time\"")
                        .contains("\"step\":\"scale-out/etcd-member/127.0.0.1:16881\"}"));
        first.destroyForcibly();
        assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(journal)).doesNotContain("\"event\":\"end\"");

        Cli.Result again = cli.run("cluster", "scale-out", NAME, fragment.toString(), "--yes");

        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.err()).contains("Resuming operation ").contains("done in an earlier run");
        assertThat(again.out()).isEqualTo("Cluster 'letcdout' scaled out: etcd 127.0.0.1:16881.%n".formatted());
        String members = etcdctl(FIRST, "member", "list");
        assertThat(members).contains(", started, e3, http://127.0.0.1:16882, ").doesNotContain("unstarted");
        assertThat(members.lines().count()).isEqualTo(3);
        assertThat(etcdctl("127.0.0.1:16881", "get", "escort", "--print-value-only"))
                .isEqualTo("frigate\n");

        Cli.Result scaleIn = cli.run("cluster", "scale-in", NAME, "-N", "127.0.0.1:16881", "--yes");
        assertThat(scaleIn.exitCode()).as(scaleIn.all()).isZero();
        assertThat(etcdctl(FIRST, "member", "list")).doesNotContain(", e3, ");
        assertEventually(
                Duration.ofSeconds(30), () -> assertThat(prometheusConfig()).doesNotContain("127.0.0.1:16881"));
    }

    private static String prometheusConfig() throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:%d/api/v1/status/config".formatted(PROMETHEUS)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return response.body();
        }
    }

    private static String etcdctl(String endpoint, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("etcdctl", "--endpoints=" + endpoint, "--dial-timeout=5s"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        return output;
    }
}
