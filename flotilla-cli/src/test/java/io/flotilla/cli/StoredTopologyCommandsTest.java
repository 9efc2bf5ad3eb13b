package io.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.engine.ClusterMeta;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.topology.TopologyParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster whose stored topology holds what an earlier Flotilla accepted and a rule added since
 * refuses (a control character in a setting): every command that reads that topology reads it as
 * stored, so none is refused for it. Dry runs against a cluster whose state says it is deployed:
 * nothing runs.
 */
class StoredTopologyCommandsTest {
    @TempDir
    Path root;

    private String stored() {
        return """
                global:
                  user: "%s"
                  deploy_dir: "%s/deploy"
                  data_dir: "%s/data"
                  listen_host: 127.0.0.1
                server_configs:
                  mariadb:
                    init_connect: "SET @note = 'a\\u0007b'"
                mariadb_servers:
                  - { host: 127.0.0.1, port: 3306, role: primary }
                  - { host: 127.0.0.1, port: 3307, role: replica }
                haproxy_servers:
                  - { host: 127.0.0.1 }
                """.formatted(System.getProperty("user.name"), root, root);
    }

    @Test
    void everyOperationOnTheClusterReadsItsTopologyAsStored() throws Exception {
        Path home = root.resolve("home");
        ClusterStore store = new FlotillaHome(home).cluster("old");
        store.createSecrets();
        store.writeTopology(stored());
        store.writeMeta(new ClusterMeta(
                "old",
                "0.1.0",
                "2026-01-01T00:00:00Z",
                "deployed",
                Map.of("127.0.0.1", 9760),
                Map.of("127.0.0.1", 9761),
                System.getProperty("user.name"),
                null));
        assertThat(TopologyParser.parseStored(stored(), "topology.yaml").admissionProblems())
                .hasSize(1);
        Path scaleOut = Files.writeString(root.resolve("scale-out.yaml"), """
                mariadb_servers:
                  - { host: 127.0.0.1, port: 3308 }
                """);

        Cli cli = new Cli(home);
        for (List<String> command : List.of(
                List.of("cluster", "tls", "rotate", "old"),
                List.of("cluster", "reload", "old"),
                List.of("cluster", "restart", "old"),
                List.of("cluster", "scale-out", "old", scaleOut.toString()),
                List.of("cluster", "scale-in", "old", "-N", "127.0.0.1:3307"),
                List.of("cluster", "switchover", "old", "--to", "127.0.0.1:3307"))) {
            List<String> args = new ArrayList<>(command);
            args.add("--dry-run");
            Cli.Result result = cli.run(args.toArray(String[]::new));
            assertThat(result.exitCode()).as("%s: %s", command, result.all()).isZero();
            assertThat(result.err()).as("stderr of %s", command).isEmpty();
            assertThat(result.out()).as("the plan of %s", command).isNotBlank();
        }
    }
}
