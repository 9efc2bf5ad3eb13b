package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.ExecResult;
import io.flotilla.testing.TestHost;
import io.flotilla.testing.TestHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * What goes wrong when deploying over SSH, on three real hosts: a changed host key, a wrong client
 * key, the CLI killed with SIGKILL mid-deploy, and a host whose network is cut during a start.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SshFaultsTest {
    private static final String NAME = "faults";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static Cli cli;
    private static Path home;
    private static Path topology;
    private static Process killed;

    @BeforeAll
    static void createHosts() throws Exception {
        // The fourth host is no part of the cluster: a process of its own holds a file open under the
        // same path as the cluster's MariaDB data dir, which no step of the cluster may touch.
        hosts = TestHosts.create("ffa", 4);
        home = root.resolve("home");
        cli = new Cli(home);
        List<TestHost> all = hosts.hosts();
        topology = root.resolve("topology.yaml");
        Files.writeString(topology, """
                global:
                  user: root
                  deploy_dir: /srv/flotilla/deploy
                  data_dir: /srv/flotilla/data
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                mariadb_servers:
                  - { host: %1$s, role: primary }
                  - { host: %2$s, role: replica }
                  - { host: %3$s, role: replica }
                """.formatted(
                        all.get(0).address(), all.get(1).address(), all.get(2).address()));
    }

    @AfterAll
    static void cleanUp() {
        try {
            if (killed != null) {
                killed.destroyForcibly();
            }
            hosts.hosts().forEach(TestHost::restoreLink);
            if (Files.exists(home.resolve("clusters").resolve(NAME))) {
                cli.run("cluster", "destroy", NAME, "--yes");
            }
        } finally {
            hosts.close();
        }
    }

    private static String[] deploy(Path identity, Path knownHosts) {
        return new String[] {
            "cluster",
            "deploy",
            NAME,
            topology.toString(),
            "--yes",
            "--user",
            "root",
            "-i",
            identity.toString(),
            "--known-hosts",
            knownHosts.toString()
        };
    }

    private static Path throwawayKey(String name) throws Exception {
        Path key = root.resolve(name);
        Process keygen = new ProcessBuilder(
                        "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "throwaway", "-f", key.toString())
                .redirectErrorStream(true)
                .start();
        assertThat(keygen.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(keygen.exitValue()).isZero();
        return key;
    }

    /** A key's fingerprint as ssh-keygen prints it: SHA-256 of the key blob, unpadded base64. */
    private static String fingerprint(String base64Key) throws Exception {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                .digest(java.util.Base64.getDecoder().decode(base64Key));
        return "SHA256:" + java.util.Base64.getEncoder().withoutPadding().encodeToString(digest);
    }

    private static List<TestHost> clusterHosts() {
        return hosts.hosts().subList(0, 3);
    }

    private static void assertNothingChanged() {
        assertThat(home.resolve("clusters").resolve(NAME)).doesNotExist();
        for (TestHost host : clusterHosts()) {
            assertThat(host.srv().resolve("flotilla")).as(host.name()).doesNotExist();
        }
    }

    @Test
    @Order(1)
    void changedHostKeysAreRefusedBeforeAnythingChangesAndEachIsNamed() throws Exception {
        List<TestHost> changed = hosts.hosts().subList(1, 3);
        String[] impostor = Files.readString(throwawayKey("impostor_host_key").resolveSibling("impostor_host_key.pub"))
                .strip()
                .split(" ");
        Path knownHosts = root.resolve("changed_known_hosts");
        Files.writeString(
                knownHosts,
                Files.readString(hosts.knownHosts())
                        .lines()
                        .map(line -> changed.stream().anyMatch(host -> line.startsWith(host.address() + " "))
                                ? "%s %s %s".formatted(line.split(" ")[0], impostor[0], impostor[1])
                                : line)
                        .collect(Collectors.joining("\n", "", "\n")));

        Cli.Result refused = cli.run(deploy(hosts.clientKey(), knownHosts));

        assertThat(refused.exitCode()).as(refused.all()).isEqualTo(1);
        for (TestHost host : changed) {
            assertThat(refused.err())
                    .contains("ssh root@%1$s:22: host key of %1$s:22 CHANGED: expected %2$s, got %3$s; "
                            .formatted(host.address(), fingerprint(impostor[1]), host.hostKeyFingerprint()));
        }
        assertNothingChanged();
    }

    @Test
    @Order(2)
    void aWrongClientKeyFailsFastNamingTheLogin() throws Exception {
        Path wrong = throwawayKey("wrong_client_key");
        long started = System.nanoTime();

        Cli.Result refused = cli.run(deploy(wrong, hosts.knownHosts()));

        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(refused.exitCode()).as(refused.all()).isEqualTo(1);
        assertThat(refused.err())
                .as("every host refused the key, and each is named")
                .isEqualTo(clusterHosts().stream()
                        .map(host ->
                                "ssh root@%1$s:22: authentication failed with key %2$s (ed25519); check that its public key is in the authorized_keys of root on %1$s"
                                        .formatted(host.address(), wrong))
                        .collect(Collectors.joining("\n", "Error: ", "\n")));
        assertThat(took).isLessThan(Duration.ofSeconds(15));
        assertNothingChanged();
    }

    @Test
    @Order(3)
    void aDeployKilledWithSigkillFinishesWhenRunAgain() throws Exception {
        // Before a bootstrap, a deploy kills what still writes in the data dir (a killed deploy's own
        // mariadbd --bootstrap). /proc shows every host's processes here, under the same paths: only
        // the host's own may be killed.
        TestHost other = hosts.hosts().get(3);
        ExecResult holder = other.exec(
                "sh",
                "-c",
                "mkdir -p /srv/flotilla/data/mariadb-3306 && cd /srv/flotilla/data/mariadb-3306"
                        + " && setsid sleep 600 > held 2>&1 < /dev/null & echo $!");
        assertThat(holder.exitCode()).as(holder.stderr()).isZero();
        long holderPid = Long.parseLong(holder.stdout().strip());
        Path journal = home.resolve("clusters").resolve(NAME).resolve("journal").resolve("current.jsonl");
        killed = cli.start(root.resolve("deploy-1.log"), deploy(hosts.clientKey(), hosts.knownHosts()));
        assertEventually(
                Duration.ofSeconds(120),
                () -> assertThat(journal)
                        .content()
                        .contains("\"event\":\"started\",\"time\"")
                        .contains("\"step\":\"deploy/instance/"));
        killed.destroyForcibly();
        assertThat(killed.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(journal)).doesNotContain("\"event\":\"end\"");

        Cli.Result again = cli.run(deploy(hosts.clientKey(), hosts.knownHosts()));

        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.err()).contains("Resuming operation ");
        assertThat(Files.readString(journal)).contains("\"event\":\"resume\"").contains("\"result\":\"ok\"");

        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        assertThat(statuses().values()).containsOnly("Up");
        assertThat(ProcessHandle.of(holderPid))
                .as("a process of another host with a file open under the same path")
                .hasValueSatisfying(process -> assertThat(process.isAlive()).isTrue());
    }

    @Test
    @Order(4)
    void aHostCutOffDuringStartIsNamedAndTheStartFinishesOnceItIsBack() throws Exception {
        TestHost cut = hosts.hosts().get(2);
        cut.cutLink();
        long started = System.nanoTime();

        Cli.Result failed = cli.run("cluster", "start", NAME);

        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(failed.exitCode()).as(failed.all()).isEqualTo(1);
        assertThat(failed.err())
                .contains("Error: reach agent on %1$s failed: ssh root@%1$s:22: ".formatted(cut.address()));
        // 5 s for the agent's HTTP connect, then 10 s for the SSH connect that would restart it.
        assertThat(took).isLessThan(Duration.ofSeconds(20));

        long displayStarted = System.nanoTime();
        Map<String, String> statuses = statuses();
        assertThat(Duration.ofNanos(System.nanoTime() - displayStarted)).isLessThan(Duration.ofSeconds(8));
        assertThat(statuses).containsEntry(cut.address() + ":3306", "Disconnected");
        statuses.forEach((id, status) ->
                assertThat(status).as(id).isEqualTo(id.startsWith(cut.address() + ":") ? "Disconnected" : "Up"));

        cut.restoreLink();
        Cli.Result again = cli.run("cluster", "start", NAME);
        assertThat(again.exitCode()).as(again.all()).isZero();
        assertThat(again.err()).contains("Resuming operation ");
        assertEventually(
                Duration.ofSeconds(20), () -> assertThat(statuses().values()).containsOnly("Up"));
    }

    /** Each instance's status as {@code cluster display} shows it, by instance id. */
    private static Map<String, String> statuses() throws Exception {
        Cli.Result display = cli.run("cluster", "display", NAME, "--format", "json");
        assertThat(display.exitCode()).as(display.all()).isZero();
        JsonNode json = Output.JSON.readTree(display.out());
        return json.path("instances")
                .valueStream()
                .collect(Collectors.toMap(
                        each -> each.path("id").asString(),
                        each -> each.path("status").asString()));
    }
}
