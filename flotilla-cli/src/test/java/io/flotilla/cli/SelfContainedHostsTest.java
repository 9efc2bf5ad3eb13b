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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Hosts that hold nothing but what Flotilla brings: the first test host has no Java at all (an empty
 * tmpfs hides {@code /usr/lib/jvm} in its mount namespace), and the agent runs there on the Java
 * runtime that deploy shipped with it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SelfContainedHostsTest {
    private static final String NAME = "bare";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static Cli cli;
    private static TestHost bare;

    @BeforeAll
    static void createHosts() {
        hosts = TestHosts.create("fsh", 2);
        cli = new Cli(root.resolve("home"));
        bare = hosts.hosts().getFirst();
        ExecResult hide =
                bare.exec("mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "flotilla-no-java", "/usr/lib/jvm");
        assertThat(hide.exitCode()).as(hide.stderr()).isZero();
    }

    @AfterAll
    static void cleanUp() {
        try {
            if (Files.exists(root.resolve("home/clusters").resolve(NAME))) {
                cli.run("cluster", "destroy", NAME, "--yes");
            }
        } finally {
            hosts.close();
        }
    }

    private static String[] login() {
        return new String[] {
            "--user",
            "root",
            "-i",
            hosts.clientKey().toString(),
            "--known-hosts",
            hosts.knownHosts().toString()
        };
    }

    private static String[] withLogin(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(List.of(login()));
        return all.toArray(String[]::new);
    }

    @Test
    @Order(1)
    void theAgentRunsOnAHostWithoutJava() throws Exception {
        assertThat(bare.exec("java", "-version").exitCode()).isNotZero();
        assertThat(bare.exec("ls", "-A", "/usr/lib/jvm").stdout()).isEmpty();
        assertThat(bare.exec("sh", "-c", "command -v java").exitCode()).isNotZero();

        Path topology = root.resolve("bare.yaml");
        Files.writeString(topology, """
                global:
                  user: root
                  deploy_dir: /srv/flotilla/deploy
                  data_dir: /srv/flotilla/data
                etcd_servers:
                  - { host: %s, ignore_exporter: true }
                """.formatted(bare.address()));
        long started = System.nanoTime();
        Cli.Result deploy = cli.run(withLogin("cluster", "deploy", NAME, topology.toString(), "--yes"));
        long deployMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        assertThat(deploy.all()).contains("build the agent's Java runtime (once, then cached)");
        System.out.printf("deploy to a host without Java: %d ms%n%s%n", deployMillis, deploy.all());

        Path agentDir = bare.srv().resolve("flotilla/deploy/flotilla-agent-" + NAME);
        assertThat(agentDir.resolve("jre/bin/java")).isExecutable();
        assertThat(agentDir.resolve("jre.tar.gz")).doesNotExist();
        ExecResult agent = bare.exec(
                "sh",
                "-c",
                "readlink /proc/$(pgrep -f 'AgentMain --dir " + "/srv/flotilla/deploy/flotilla-agent-" + NAME
                        + "' | head -1)/exe");
        assertThat(agent.stdout().strip())
                .isEqualTo("/srv/flotilla/deploy/flotilla-agent-%s/jre/bin/java".formatted(NAME));

        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        assertEventually(Duration.ofSeconds(20), () -> {
            JsonNode json = Output.JSON.readTree(
                    cli.run("cluster", "display", NAME, "--format", "json").out());
            assertThat(json.path("instances")
                            .valueStream()
                            .map(each -> each.path("status").asString()))
                    .containsOnly("Up");
        });
    }
}
