package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The main job: `flotilla playground --detach` gives a working replicated cluster, and destroy removes it all. */
class PlaygroundTest {
    @TempDir
    static Path home;

    @AfterAll
    static void cleanUp() {
        Cli cli = new Cli(home);
        if (Files.exists(home.resolve("clusters/playground"))) {
            cli.run("cluster", "destroy", "playground", "--yes");
        }
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(home.toString()))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void playgroundReplicatesThroughTheGatewayAndDestroyLeavesNothing() throws Exception {
        Cli cli = new Cli(home);
        Cli.Result up = cli.run("playground", "--detach", "--port-offset", "20000", "--format", "json");
        assertThat(up.exitCode()).as(up.all()).isZero();

        JsonNode json = Output.JSON.readTree(up.out());
        assertThat(json.path("endpoints").path("mysql").asString()).isEqualTo("127.0.0.1:24000");
        assertThat(json.path("endpoints").path("mysql_read").asString()).isEqualTo("127.0.0.1:24001");
        assertThat(json.path("endpoints").path("prometheus").asString()).isEqualTo("127.0.0.1:29090");
        assertThat(json.path("instances")
                        .valueStream()
                        .map(each -> each.path("status").asString()))
                .hasSize(7)
                .containsOnly("Up");
        assertThat(json.path("instances")
                        .valueStream()
                        .filter(each -> each.path("role").asString().equals("mariadb-replica")))
                .hasSize(2);

        String password = cli.run("cluster", "password", "playground").out().strip();
        try (Connection primary = LocalClusterTest.connect(24000, password);
                Statement statement = primary.createStatement()) {
            statement.execute("CREATE DATABASE play");
            statement.execute("CREATE TABLE play.t (id INT PRIMARY KEY, v VARCHAR(10))");
            statement.execute("INSERT INTO play.t VALUES (7, 'seven')");
        }
        assertEventually(Duration.ofSeconds(20), () -> {
            try (Connection read = LocalClusterTest.connect(24001, password);
                    Statement statement = read.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT v, @@read_only FROM play.t WHERE id = 7")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("seven");
                assertThat(rows.getInt(2)).isEqualTo(1);
            }
        });
        assertThat(LocalClusterTest.mariadbClient(24001, password, "SELECT v FROM play.t WHERE id = 7"))
                .isEqualTo("seven");

        Cli.Result again = cli.run("playground", "--detach");
        assertThat(again.exitCode())
                .as("a second run starts the same playground: " + again.all())
                .isZero();
        assertThat(again.err()).contains("Starting the existing playground");

        Cli.Result destroy = cli.run("cluster", "destroy", "playground", "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
        assertEventually(
                Duration.ofSeconds(10),
                () -> assertThat(ProcessHandle.allProcesses()
                                .map(process -> process.info().commandLine().orElse(""))
                                .filter(command -> command.contains(home.toString())))
                        .isEmpty());
        assertThat(home.resolve("clusters")).isEmptyDirectory();
    }
}
