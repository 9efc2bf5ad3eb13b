package io.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** `flotilla topology validate`, parsed by picocli as a user types it. */
class TopologyCommandTest {
    @TempDir
    Path dir;

    @Test
    void aValidFileExitsZero() throws Exception {
        Path file = dir.resolve("ok.yaml");
        Files.writeString(file, """
                pd_servers: [ { host: 10.0.1.1 }, { host: 10.0.1.2 }, { host: 10.0.1.3 } ]
                tikv_servers: [ { host: 10.0.1.4 } ]
                tidb_servers: [ { host: 10.0.1.5 } ]
                """);
        Cli.Result result = new Cli(dir.resolve("home")).run("topology", "validate", file.toString());
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("%s is valid: 15 instances on 5 hosts.%n".formatted(file));
    }

    @Test
    void everyProblemIsReportedAtOnceAsTextAndJson() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                pd_servers:
                  - host: 10.0.1.1
                    clinet_port: 2379
                tidb_servers:
                  - host: 10.0.1.1
                    port: 2379
                """);
        Cli cli = new Cli(dir.resolve("home"));
        Cli.Result text = cli.run("topology", "validate", file.toString());
        assertThat(text.exitCode()).isEqualTo(1);
        assertThat(text.out())
                .contains(file + ":3:5: unknown key 'clinet_port' in pd_servers[0]; did you mean 'client_port'?")
                .contains(file + ":5:5: port conflict for '2379' between 'pd_servers:10.0.1.1.client_port' and "
                        + "'tidb_servers:10.0.1.1.port': pd 10.0.1.1:2379 at line 2 and tidb 10.0.1.1:2379 at line 5; "
                        + "give one of them another port\n")
                .endsWith("2 problems found.\n");

        Cli.Result json = cli.run("topology", "validate", file.toString(), "--format", "json");
        assertThat(json.exitCode()).isEqualTo(1);
        JsonNode result = Output.JSON.readTree(json.out());
        assertThat(result.path("valid").asBoolean()).isFalse();
        assertThat(result.path("problems")).hasSize(2);
        assertThat(result.path("problems").get(0).path("line").asInt()).isEqualTo(3);
        assertThat(result.path("problems").get(1).path("instances").toString()).contains("10.0.1.1:2379");
    }

    @Test
    void aFileThatIsNoTopologyGetsOneLineNamingItAndNothingIsWritten() throws Exception {
        Path binary = dir.resolve("binary.yaml");
        Files.write(binary, new byte[] {'a', ':', ' ', '1', '\n', 'b', ':', ' ', (byte) 0xC3, (byte) 0x28});
        Path nul = dir.resolve("nul.yaml");
        Files.writeString(nul, "global:\n  user: t\u0000x\n");
        Path folder = Files.createDirectories(dir.resolve("folder.yaml"));
        Path big = dir.resolve("big.yaml");
        Files.write(big, new byte[5 << 20]);
        Path missing = dir.resolve("missing.yaml");
        Cli cli = new Cli(dir.resolve("home"));
        assertThat(cli.run("topology", "validate", binary.toString()).out())
                .startsWith(binary + ":2:4: the file holds bytes that are not UTF-8 text; is it the right file?"
                        + " (save it as UTF-8)\n");
        assertThat(cli.run("topology", "validate", nul.toString()).out())
                .startsWith(nul + ":2:10: the file holds a NUL byte, so it is no text file;");
        assertThat(cli.run("topology", "validate", folder.toString()).out())
                .startsWith(folder + ":1:1: the file is a folder; give the topology file in it\n");
        assertThat(cli.run("topology", "validate", big.toString()).out())
                .startsWith(big + ":1:1: the file is 5242880 bytes, more than the 4194304 a topology may have;");
        assertThat(cli.run("topology", "validate", missing.toString()).out())
                .startsWith(missing + ":1:1: the file does not exist\n");
        assertThat(cli.run("topology", "validate", "/dev/zero").out())
                .startsWith("/dev/zero:1:1: the file is not a regular file; give a topology file\n");
        for (Path file : new Path[] {binary, folder, big, missing}) {
            Cli.Result deploy = cli.run("cluster", "deploy", "c1", file.toString(), "--yes");
            assertThat(deploy.exitCode()).as("deploy of %s", file).isEqualTo(1);
            assertThat(deploy.err().lines())
                    .as("deploy of %s", file)
                    .hasSize(3)
                    .contains("Error: the topology has 1 problem:", "Nothing was changed.")
                    .anySatisfy(line -> assertThat(line).startsWith(file + ":").contains(": the file "));
            assertThat(dir.resolve("home").resolve("clusters").resolve("c1")).doesNotExist();
        }
    }

    @Test
    void aTopologyFromAPipeIsRead() throws Exception {
        // What a shell's `flotilla topology validate <(generate)` gives: /dev/fd/63, a pipe.
        Path pipe = dir.resolve("generated.yaml");
        Process mkfifo = new ProcessBuilder("mkfifo", pipe.toString()).start();
        assertThat(mkfifo.waitFor()).isZero();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                Files.writeString(pipe, "mariadb_servers:\n  - host: 10.0.0.1\n");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Cli.Result result = new Cli(dir.resolve("home")).run("topology", "validate", pipe.toString());
        writer.join(java.time.Duration.ofSeconds(10));
        assertThat(result.exitCode()).as(result.all()).isZero();
        assertThat(result.out()).isEqualTo(pipe + " is valid: 3 instances on 1 host.\n");
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        Cli.Result result = new Cli(dir.resolve("home")).run("topology", "validate", "t.yaml", "--colour");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Unknown option: '--colour'");
    }
}
