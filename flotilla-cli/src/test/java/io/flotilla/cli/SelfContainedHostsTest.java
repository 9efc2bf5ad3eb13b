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

    private static String[] withLogin(String... args) {
        return Cli.withRootLogin(hosts, args);
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

    /** The pid of the process named {@code command} that runs in a test host's network namespace. */
    private static long pidIn(TestHost host, String command) throws Exception {
        Process ip = new ProcessBuilder("ip", "netns", "pids", host.name()).start();
        String pids = new String(ip.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        ip.waitFor();
        return pids.lines()
                .map(String::strip)
                .filter(pid -> !pid.isEmpty())
                .map(Long::parseLong)
                .filter(pid -> ProcessHandle.of(pid)
                        .flatMap(process -> process.info().command())
                        .filter(path -> Path.of(path).getFileName().toString().equals(command))
                        .isPresent())
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + command + " runs on " + host));
    }

    private static Path checkTopology() throws Exception {
        Path file = root.resolve("check.yaml");
        Files.writeString(
                file, """
                global:
                  user: root
                  deploy_dir: /srv/check/deploy
                  data_dir: /srv/check/data
                etcd_servers:
                  - { host: %s, ignore_exporter: true }
                  - { host: %s, ignore_exporter: true }
                """.formatted(bare.address(), hosts.hosts().get(1).address()));
        return file;
    }

    @Test
    @Order(2)
    void checkFailsOnAPortInUseAndNamesItsProcess() throws Exception {
        Path file = checkTopology();
        TestHost second = hosts.hosts().get(1);
        Files.createDirectories(second.srv().resolve("check/data/etcd-2379"));
        Files.writeString(second.srv().resolve("check/data/etcd-2379/member"), "left by someone");

        Cli.Result check = cli.run(withLogin("cluster", "check", file.toString()));
        assertThat(check.exitCode()).as(check.all()).isEqualTo(1);
        long etcd = pidIn(bare, "etcd");
        String first = bare.address();
        assertThat(check.out())
                .containsPattern(
                        "(?m)^%s +port 2379 +Fail +etcd %s:2379 client_port: in use by pid %d \\(etcd\\); change it in %s:6:5 or stop that process$"
                                .formatted(
                                        first.replace(".", "\\."),
                                        first.replace(".", "\\."),
                                        etcd,
                                        file.toString().replace(".", "\\.")))
                .containsPattern("(?m)^%s +port 2379 +Pass +etcd %s:2379 client_port: free$"
                        .formatted(
                                second.address().replace(".", "\\."),
                                second.address().replace(".", "\\.")))
                .containsPattern(
                        "(?m)^%s +dir /srv/check/data/etcd-2379 +Fail +data dir is not empty; another deploy's data\\? move it away or choose another dir$"
                                .formatted(second.address().replace(".", "\\.")))
                .containsPattern("(?m)^%s +privileges +Pass +root \\(uid 0\\)$".formatted(first.replace(".", "\\.")))
                .containsPattern(
                        "(?m)^%s +package etcd-server +Pass +/usr/bin/etcd$".formatted(first.replace(".", "\\.")));
        assertThat(check.err())
                .contains("  checking %s ...".formatted(first))
                .contains("  checking %s ...".formatted(second.address()))
                .containsPattern("  checked %s: \\d+ pass, \\d+ warn, 2 fail".formatted(first.replace(".", "\\.")));

        // A deployed cluster's own port is expected to be in use.
        Cli.Result deployed = cli.run("cluster", "check", NAME, "--only", "port 2379");
        assertThat(deployed.exitCode()).as(deployed.all()).isZero();
        assertThat(deployed.out())
                .contains("port 2379  Pass    etcd %s:2379 client_port: in use by pid %d (etcd)".formatted(first, etcd))
                .endsWith("%n1 pass, 0 warn, 0 fail%n".formatted());
        Cli.Result certificates = cli.run("cluster", "check", NAME, "--only", "agent certificate");
        assertThat(certificates.exitCode()).as(certificates.all()).isZero();
        assertThat(certificates.out())
                .containsPattern("(?m)^%s +agent certificate +Pass +valid until \\d{4}-\\d\\d-\\d\\d$"
                        .formatted(first.replace(".", "\\.")))
                .endsWith("%n1 pass, 0 warn, 0 fail%n".formatted());
        Cli.Result misspelt = cli.run("cluster", "check", NAME, "--only", "sysctl vm.swapiness");
        assertThat(misspelt.exitCode()).isEqualTo(1);
        assertThat(misspelt.err())
                .endsWith(
                        "Error: --only 'sysctl vm.swapiness' names no check on these hosts; use the names of the CHECK column, such as 'sysctl vm.swappiness' or 'port 4000'%n"
                                .formatted());

        // An address no interface of the host holds (a NAT's, say) cannot be listened on.
        Path nat = root.resolve("nat.yaml");
        Files.writeString(nat, """
                global: { user: root, deploy_dir: /srv/check/deploy, data_dir: /srv/check/data }
                etcd_servers:
                  - { host: %s, listen_host: 192.0.2.7, ignore_exporter: true }
                  - { host: %s, listen_host: %s, ignore_exporter: true }
                """.formatted(first, second.address(), second.address()));
        Cli.Result unlistenable = cli.run(
                withLogin("cluster", "check", nat.toString(), "--only", "listen 192.0.2.7,listen " + second.address()));
        assertThat(unlistenable.exitCode()).as(unlistenable.all()).isEqualTo(1);
        assertThat(unlistenable.out())
                .containsPattern("(?m)^%s +listen %s +Pass +an address of this host$"
                        .formatted(
                                second.address().replace(".", "\\."),
                                second.address().replace(".", "\\.")))
                .containsPattern(
                        ("(?m)^%s +listen 192\\.0\\.2\\.7 +Fail +192\\.0\\.2\\.7 is no address of this host \\(it has"
                                        + " [^)]*%s[^)]*\\): a NAT or public address cannot be listened on; set listen_host \\(in"
                                        + " global for the exporters, or on the instance at %s:3:5\\) to one of the host's own"
                                        + " addresses$")
                                .formatted(
                                        first.replace(".", "\\."),
                                        first.replace(".", "\\."),
                                        nat.toString().replace(".", "\\.")));
    }

    @Test
    @Order(3)
    void checkPrintsJsonAndApplyChangesOnlyWhatItSays() throws Exception {
        Path file = checkTopology();
        String machine =
                Files.readString(Path.of("/proc/sys/net/core/somaxconn")).strip();
        for (TestHost host : hosts.hosts()) {
            assertThat(host.exec("sysctl", "-w", "net.core.somaxconn=4096").exitCode())
                    .isZero();
        }
        Cli.Result json = cli.run(withLogin("cluster", "check", file.toString(), "--format", "json"));
        JsonNode report = Output.JSON.readTree(json.out());
        assertThat(report.path("passed").asBoolean()).isFalse();
        assertThat(report.path("hosts").valueStream().map(JsonNode::asString))
                .containsExactly(bare.address(), hosts.hosts().get(1).address());
        JsonNode somaxconn = report.path("rows")
                .valueStream()
                .filter(row -> row.path("host").asString().equals(bare.address())
                        && row.path("check").asString().equals("sysctl net.core.somaxconn"))
                .findFirst()
                .orElseThrow();
        assertThat(somaxconn.path("result").asString()).isEqualTo("Warn");
        assertThat(somaxconn.path("detail").asString()).isEqualTo("4096, want 32768 or more");
        assertThat(somaxconn.path("applied").asString()).isEmpty();

        // net.core.somaxconn belongs to each host's network namespace: applying it leaves this machine alone.
        Cli.Result apply = cli.run(
                withLogin("cluster", "check", file.toString(), "--only", "sysctl net.core.somaxconn", "--apply"));
        assertThat(apply.exitCode()).as(apply.all()).isZero();
        assertThat(apply.out())
                .contains(
                        "Applied:%n  %s sysctl net.core.somaxconn: set net.core.somaxconn=32768 and kept it in /etc/sysctl.d/99-flotilla.conf%n"
                                .formatted(bare.address()))
                .endsWith("%n2 pass, 0 warn, 0 fail%n".formatted());
        for (TestHost host : hosts.hosts()) {
            assertThat(host.exec("cat", "/proc/sys/net/core/somaxconn").stdout().strip())
                    .isEqualTo("32768");
        }
        assertThat(Files.readString(Path.of("/proc/sys/net/core/somaxconn")).strip())
                .isEqualTo(machine);
    }

    @Test
    @Order(4)
    void etcdRunsFromATarballAndAWrongChecksumIsRefusedFirst() throws Exception {
        Path content = root.resolve("etcd-tarball");
        Files.createDirectories(content);
        Files.copy(Path.of("/usr/bin/etcd"), content.resolve("etcd"));
        Path tarball = root.resolve("etcd-linux-amd64.tar.gz");
        Process tar = new ProcessBuilder("tar", "-czf", tarball.toString(), "-C", content.toString(), "etcd")
                .inheritIO()
                .start();
        assertThat(tar.waitFor()).isZero();
        String sha256 = sha256(tarball);
        TestHost second = hosts.hosts().get(1);
        String yaml = """
                global:
                  user: root
                  deploy_dir: /srv/tar/deploy
                  data_dir: /srv/tar/data
                component_sources:
                  etcd: { tarball: %s, sha256: %s }
                etcd_servers:
                  - { host: %s, ignore_exporter: true }
                """;
        Path wrong = root.resolve("tarball-wrong.yaml");
        String expected = "ab".repeat(32);
        Files.writeString(wrong, yaml.formatted(tarball, expected, second.address()));
        Cli.Result refused = cli.run(withLogin("cluster", "deploy", "fromtar", wrong.toString(), "--yes"));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .contains(
                        ("%s of etcd has sha256 %s, but component_sources.etcd.sha256 expects %s; nothing was deployed:"
                                        + " check the file, or correct the sha256 if the file is the one you meant")
                                .formatted(tarball, sha256, expected));
        assertThat(root.resolve("home/clusters/fromtar")).doesNotExist();
        assertThat(second.srv().resolve("tar")).doesNotExist();
        Cli.Result check = cli.run(withLogin("cluster", "check", wrong.toString(), "--only", "source etcd"));
        assertThat(check.exitCode()).as(check.all()).isEqualTo(1);
        assertThat(check.out())
                .contains(
                        "%s  source etcd  Fail    %s of etcd has sha256 %s, but component_sources.etcd.sha256 expects %s;"
                                .formatted(second.address(), tarball, sha256, expected));

        Path right = root.resolve("tarball.yaml");
        Files.writeString(right, yaml.formatted(tarball, sha256, second.address()));
        Cli.Result deploy = cli.run(withLogin("cluster", "deploy", "fromtar", right.toString(), "--yes"));
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Path bin = second.srv().resolve("tar/deploy/etcd-2379/bin");
        assertThat(bin.resolve("etcd")).isExecutable();
        assertThat(Files.readString(bin.resolve(".source-sha256")).strip()).isEqualTo(sha256);
        Cli.Result checked = cli.run("cluster", "check", "fromtar", "--only", "source etcd");
        assertThat(checked.out())
                .contains(
                        "%s  source etcd  Pass    %s, sha256 %s checked".formatted(second.address(), tarball, sha256));
        Cli.Result start = cli.run("cluster", "start", "fromtar");
        assertThat(start.exitCode()).as(start.all()).isZero();

        long etcd = pidIn(second, "etcd");
        assertThat(second.exec("readlink", "/proc/%d/exe".formatted(etcd))
                        .stdout()
                        .strip())
                .isEqualTo("/srv/tar/deploy/etcd-2379/bin/etcd");
        ProcessBuilder put = new ProcessBuilder(
                        "etcdctl", "--endpoints=%s:2379".formatted(second.address()), "put", "source", "tarball")
                .redirectErrorStream(true);
        put.environment().put("ETCDCTL_API", "3");
        Process putting = put.start();
        String output = new String(putting.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(putting.waitFor()).as(output).isZero();
        assertThat(output.strip()).isEqualTo("OK");

        Cli.Result destroy = cli.run("cluster", "destroy", "fromtar", "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
        assertThat(bin).doesNotExist();
    }

    private static String sha256(Path file) throws Exception {
        java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
        digest.update(Files.readAllBytes(file));
        return java.util.HexFormat.of().formatHex(digest.digest());
    }

    /**
     * A measurement behind shipping the runtime as one tarball: its ~90 files one by one over SFTP
     * (each checked by sha256 first) against the tarball, its remote checksum and tar. Prints both.
     */
    @Test
    @Order(5)
    void shippingTheRuntimeAsOneTarballIsFasterThanFileByFile() throws Exception {
        Path tarball;
        try (var files = Files.list(Path.of(System.getProperty("flotilla.cache"), "agent-runtime"))) {
            tarball = files.filter(file -> file.getFileName().toString().endsWith(".tar.gz"))
                    .findFirst()
                    .orElseThrow();
        }
        Path unpacked = root.resolve("jre-files");
        Files.createDirectories(unpacked);
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", unpacked.toString())
                .inheritIO()
                .start();
        assertThat(tar.waitFor()).isZero();
        List<Path> files;
        try (var walk = Files.walk(unpacked)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        TestHost target = hosts.hosts().get(1);
        io.flotilla.exec.SshOptions options = io.flotilla.exec.SshOptions.of(
                "root", List.of(hosts.clientKey()), hosts.knownHosts(), root.resolve("measure_known_hosts"));
        try (io.flotilla.exec.SshConnections connections = io.flotilla.exec.SshConnections.start(options, 64, 512)) {
            io.flotilla.exec.Executor executor = connections.executor(target.address());
            executor.run(List.of("true"), Duration.ofSeconds(10));

            long started = System.nanoTime();
            for (Path file : files) {
                String destination = "/srv/measure/files/" + unpacked.relativize(file);
                executor.mkdirs(Path.of(destination).getParent().toString(), "0755");
                executor.copy(file, destination, Files.isExecutable(file) ? "0755" : "0644");
            }
            long fileByFile = (System.nanoTime() - started) / 1_000_000;
            started = System.nanoTime();
            for (Path file : files) {
                String destination = "/srv/measure/files/" + unpacked.relativize(file);
                executor.mkdirs(Path.of(destination).getParent().toString(), "0755");
                executor.copy(file, destination, Files.isExecutable(file) ? "0755" : "0644");
            }
            long fileByFileUnchanged = (System.nanoTime() - started) / 1_000_000;

            started = System.nanoTime();
            executor.mkdirs("/srv/measure/tarball", "0755");
            executor.copy(tarball, "/srv/measure/jre.tar.gz", "0644");
            executor.check(List.of("sha256sum", "/srv/measure/jre.tar.gz"), Duration.ofMinutes(1));
            executor.check(
                    List.of("tar", "-xzf", "/srv/measure/jre.tar.gz", "-C", "/srv/measure/tarball"),
                    Duration.ofMinutes(1));
            long asTarball = (System.nanoTime() - started) / 1_000_000;
            System.out.printf(
                    "agent runtime, %d files, %d bytes packed: file by file %d ms (unchanged: %d ms), one tarball %d ms%n",
                    files.size(), Files.size(tarball), fileByFile, fileByFileUnchanged, asTarball);

            // jlink links the duplicate legal notices; file by file they arrive as copies, the tarball keeps the links.
            String count = "find %s -type f -o -type l | wc -l";
            assertThat(target.exec("sh", "-c", count.formatted("/srv/measure/tarball"))
                            .stdout()
                            .strip())
                    .isEqualTo(String.valueOf(files.size()));
            assertThat(target.exec("sh", "-c", count.formatted("/srv/measure/files"))
                            .stdout()
                            .strip())
                    .isEqualTo(String.valueOf(files.size()));
            assertThat(target.exec("/srv/measure/tarball/bin/java", "-version").exitCode())
                    .isZero();
        }
    }
}
