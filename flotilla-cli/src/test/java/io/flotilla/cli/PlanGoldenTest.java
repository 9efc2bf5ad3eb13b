package io.flotilla.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.engine.ClusterMeta;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.SshAccess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The dry-run plans of deploy, start, stop, reload, scale-out, scale-in and switchover for three
 * representative topologies (the local playground, three SSH hosts with etcd, a TiUP file), pinned
 * as text under {@code src/test/resources/plans}: a change that alters what an operation plans shows
 * here as a difference. Nothing runs: every command is a {@code --dry-run} against a cluster whose
 * stored state says it is deployed.
 *
 * <p>To accept a deliberate change, run with {@code -Dflotilla.golden.update=true} and read the diff.
 */
class PlanGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/plans");
    private static final boolean UPDATE = Boolean.getBoolean("flotilla.golden.update");

    @TempDir
    Path root;

    record Case(String name, String topology, List<String> login, String scaleOut, String scaleIn, String switchover) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(
                        "playground",
                        new PlaygroundTopology(2, 0, Path.of("/srv/golden/playground")).yaml(),
                        List.of(),
                        """
                        mariadb_servers:
                          - { host: 127.0.0.1, port: 3309 }
                        """,
                        "127.0.0.1:3308",
                        "127.0.0.1:3307"),
                new Case("ssh-etcd", """
                        global:
                          user: tidb
                          deploy_dir: /srv/flotilla/deploy
                          data_dir: /srv/flotilla/data
                        monitored:
                          node_exporter_port: 9100
                          blackbox_exporter_port: 9115
                        server_configs:
                          mariadb:
                            innodb_buffer_pool_size: 64M
                        etcd_servers:
                          - { host: 10.0.3.1 }
                          - { host: 10.0.3.2 }
                          - { host: 10.0.3.3 }
                        mariadb_servers:
                          - { host: 10.0.3.1, port: 3306 }
                          - { host: 10.0.3.2, port: 3306 }
                          - { host: 10.0.3.3, port: 3306 }
                        haproxy_servers:
                          - { host: 10.0.3.1, port: 4000, read_port: 4001, stats_port: 8404 }
                        monitoring_servers:
                          - { host: 10.0.3.2 }
                        """, List.of("--user", "root"), """
                        mariadb_servers:
                          - { host: 10.0.3.4, port: 3306 }
                        etcd_servers:
                          - { host: 10.0.3.4 }
                        """, "10.0.3.3:3306", "10.0.3.2:3306"),
                new Case(
                        "tiup",
                        read(GOLDEN.resolve("tiup-topology.yaml")),
                        List.of("--user", "root"),
                        """
                        tikv_servers:
                          - { host: 10.0.1.9 }
                        """,
                        "10.0.1.3:20160",
                        "10.0.1.7:4000"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void plansMatchTheGoldenText(Case example) throws IOException {
        Path home = root.resolve("home");
        Cli cli = new Cli(home);
        Path topology = root.resolve("topology.yaml");
        Files.writeString(topology, example.topology());
        Path scaleOut = root.resolve("scale-out.yaml");
        Files.writeString(scaleOut, example.scaleOut());
        List<String> login = new ArrayList<>(example.login());
        if (!login.isEmpty()) {
            Path key = root.resolve("id_ed25519");
            sshKeygen(key);
            Path knownHosts = Files.writeString(root.resolve("known_hosts"), "");
            login.addAll(List.of("-i", key.toString(), "--known-hosts", knownHosts.toString()));
        }

        Map<String, String> plans = new LinkedHashMap<>();
        plans.put("deploy", dryRun(cli, with(login, "cluster", "deploy", example.name(), topology.toString())));
        markDeployed(new FlotillaHome(home), example, !login.isEmpty(), root);
        plans.put("start", dryRun(cli, List.of("cluster", "start", example.name())));
        plans.put(
                "start-role", dryRun(cli, List.of("cluster", "start", example.name(), "-R", firstComponent(example))));
        plans.put("stop", dryRun(cli, List.of("cluster", "stop", example.name())));
        plans.put("reload", dryRun(cli, List.of("cluster", "reload", example.name())));
        plans.put("scale-out", dryRun(cli, with(login, "cluster", "scale-out", example.name(), scaleOut.toString())));
        plans.put("scale-in", dryRun(cli, List.of("cluster", "scale-in", example.name(), "-N", example.scaleIn())));
        plans.put(
                "switchover",
                dryRun(cli, List.of("cluster", "switchover", example.name(), "--to", example.switchover())));

        StringBuilder actual = new StringBuilder();
        plans.forEach((operation, text) ->
                actual.append("### ").append(operation).append('\n').append(text));
        String normalized = normalize(actual.toString(), home, root);
        Path golden = GOLDEN.resolve(example.name() + ".txt");
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.writeString(golden, normalized);
        }
        assertThat(normalized)
                .as("the plans of %s; rerun with -Dflotilla.golden.update=true to accept a deliberate change", golden)
                .isEqualTo(Files.readString(golden));
    }

    private static String dryRun(Cli cli, List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.add("--dry-run");
        Cli.Result result = cli.run(all.toArray(String[]::new));
        if (result.exitCode() == 0) {
            assertThat(result.err()).as("stderr of %s", all).isEmpty();
            return result.out();
        }
        return "exit %d\n%s%s".formatted(result.exitCode(), result.out(), result.err());
    }

    private static List<String> with(List<String> login, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(login);
        return all;
    }

    private static String firstComponent(Case example) {
        return example.topology().contains("mariadb_servers") ? "mariadb" : "tikv";
    }

    /** The stored state of a finished deploy, as deploy writes it, with fixed agent ports and times. */
    private static void markDeployed(FlotillaHome home, Case example, boolean ssh, Path root) {
        ClusterStore store = home.cluster(example.name());
        store.createSecrets();
        store.writeTopology(example.topology());
        Map<String, Integer> agentPorts = new LinkedHashMap<>();
        Map<String, Integer> checkPorts = new LinkedHashMap<>();
        for (String host : example.topology().lines().toList().stream()
                .map(line -> line.replaceAll(".*host: *([0-9.]+).*", "$1"))
                .filter(line -> line.matches("[0-9.]+"))
                .distinct()
                .toList()) {
            agentPorts.put(host, 9760);
            checkPorts.put(host, 9761);
        }
        SshAccess access = ssh
                ? new SshAccess(
                        "tidb",
                        22,
                        store.dir().resolve("ssh/id_ed25519").toString(),
                        root.resolve("known_hosts").toString(),
                        false)
                : null;
        store.writeMeta(new ClusterMeta(
                example.name(),
                "0.1.0",
                "2026-01-01T00:00:00Z",
                "deployed",
                agentPorts,
                checkPorts,
                ssh ? "tidb" : System.getProperty("user.name"),
                access));
    }

    private static String normalize(String text, Path home, Path root) {
        // The plans name no local user: the SSH login is the --user given (root), whoever runs the test.
        return text.replace(home.toString(), "$FLOTILLA_HOME").replace(root.toString(), "$ROOT");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sshKeygen(Path key) throws IOException {
        try {
            Process process = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), UTF_8);
            assertThat(process.waitFor()).as(output).isZero();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
