package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.ExecResult;
import io.flotilla.testing.TestHost;
import io.flotilla.testing.TestHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Deploys over SSH with a login that is not the deploy user, on two real hosts (network namespaces
 * with their own sshd and their own /etc): the deploy user is created on each host, the cluster's
 * own key is authorized for it, and every later command logs in as it with that key.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SshBootstrapTest {
    private static final String NAME = "boot";
    private static final String PASSWORD_CLUSTER = "bootpw";
    private static final String ROOT_PASSWORD = "fbo-root-Secret-7";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static Cli cli;
    private static Path home;
    private static Path topology;
    private static Path passwordTopology;
    private static List<String> rootKeysBefore;

    @BeforeAll
    static void createHosts() throws Exception {
        // The third host is in no topology at first: scale-out bootstraps it.
        hosts = TestHosts.create("fbo", 3);
        home = root.resolve("home");
        cli = new Cli(home);
        List<TestHost> all = hosts.hosts();
        topology = root.resolve("topology.yaml");
        // global.user is left out: TiUP's default, tidb.
        Files.writeString(
                topology, """
                global:
                  deploy_dir: /srv/boot/deploy
                  data_dir: /srv/boot/data
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 32M
                mariadb_servers:
                  - { host: %1$s, role: primary }
                  - { host: %2$s, role: replica }
                """.formatted(all.get(0).address(), all.get(1).address()));
        passwordTopology = root.resolve("password-topology.yaml");
        Files.writeString(
                passwordTopology, """
                global:
                  user: fleet
                  deploy_dir: /srv/pw/deploy
                  data_dir: /srv/pw/data
                etcd_servers:
                  - { host: %1$s, client_port: 12379, peer_port: 12380 }
                  - { host: %2$s, client_port: 12379, peer_port: 12380 }
                """.formatted(all.get(0).address(), all.get(1).address()));
        for (TestHost host : all) {
            host.setPassword("root", ROOT_PASSWORD);
        }
        rootKeysBefore = all.stream().map(SshBootstrapTest::rootKeys).toList();
    }

    @AfterAll
    static void cleanUp() {
        try {
            for (String name : List.of(NAME, PASSWORD_CLUSTER)) {
                if (Files.exists(home.resolve("clusters").resolve(name))) {
                    cli.run("cluster", "destroy", name, "--yes");
                }
            }
        } finally {
            hosts.close();
        }
    }

    private static String rootKeys(TestHost host) {
        try {
            return Files.readString(host.rootAuthorizedKeys());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path passwordFile(String content, String mode) throws Exception {
        Path file = Files.createTempFile(root, "password", "");
        Files.writeString(file, content + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private static Cli.Result deployWithPassword(Path passwordFile) {
        return cli.run(
                "cluster",
                "deploy",
                PASSWORD_CLUSTER,
                passwordTopology.toString(),
                "--yes",
                "--user",
                "root",
                "--password-file",
                passwordFile.toString(),
                "--known-hosts",
                hosts.knownHosts().toString());
    }

    /** {@code cluster deploy} of the main cluster, logged in as root with the hosts' key. */
    private static String[] deployAsRoot(String mode) {
        return Cli.withRootLogin(hosts, "cluster", "deploy", NAME, topology.toString(), mode);
    }

    /** The hosts of the clusters' topologies; the third joins only by scale-out. */
    private static List<TestHost> clusterHosts() {
        return hosts.hosts().subList(0, 2);
    }

    private static void assertNoUser(String user) throws Exception {
        for (TestHost host : hosts.hosts()) {
            assertThat(Files.readString(host.etc().resolve("passwd"))).doesNotContain("\n" + user + ":");
            assertThat(host.home().resolve(user)).doesNotExist();
        }
    }

    @Test
    @Order(1)
    void aPasswordFileOthersMayReadIsRefusedBeforeConnecting() throws Exception {
        Path file = passwordFile(ROOT_PASSWORD, "rw-r--r--");
        Cli.Result refused = deployWithPassword(file);
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo(
                        "Error: password file %1$s has mode rw-r--r--: others than its owner may read or change it; run `chmod 600 %1$s` (and change the password if others could read it)%n"
                                .formatted(file));
        assertThat(home.resolve("clusters").resolve(PASSWORD_CLUSTER)).doesNotExist();
        assertNoUser("fleet");
    }

    @Test
    @Order(2)
    void aWrongPasswordFailsWithinTheSshTimeoutAndChangesNoHost() throws Exception {
        Path file = passwordFile("not-the-password", "rw-------");
        long started = System.nanoTime();
        Cli.Result refused = deployWithPassword(file);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(refused.exitCode()).as(refused.all()).isEqualTo(1);
        // The message is the server's refusal, not a timeout (that reads "did not finish within 10 s").
        // The wall clock is bounded loosely: on this machine, loaded by parallel builds, a login alone took 7 s.
        assertThat(took).isLessThan(Duration.ofSeconds(60));
        String first = hosts.hosts().get(0).address();
        String second = hosts.hosts().get(1).address();
        // Every host the password fails on is named, whichever answered first.
        assertThat(refused.err()).endsWith("""
                        Error: log in as root to %1$s, %2$s failed: ssh root@%1$s:22: authentication failed with the password in %3$s; check the password
                        ssh root@%2$s:22: authentication failed with the password in %3$s; check the password
                        """.formatted(first, second, file));
        assertThat(home.resolve("clusters").resolve(PASSWORD_CLUSTER)).doesNotExist();
        assertNoUser("fleet");
        for (TestHost host : hosts.hosts()) {
            assertThat(host.srv().resolve("pw")).doesNotExist();
        }
    }

    @Test
    @Order(3)
    void aPasswordLoginBootstrapsTheDeployUserAndLaterCommandsUseTheClusterKey() throws Exception {
        Cli.Result deploy = deployWithPassword(passwordFile(ROOT_PASSWORD, "rw-------"));
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        String publicKey = Files.readString(
                        home.resolve("clusters").resolve(PASSWORD_CLUSTER).resolve("ssh/id_ed25519.pub"))
                .strip();
        for (TestHost host : clusterHosts()) {
            assertThat(Files.readAllLines(host.home().resolve("fleet/.ssh/authorized_keys")))
                    .containsExactly(publicKey);
            assertThat(Files.readString(host.etc().resolve("passwd"))).contains("\nfleet:");
        }

        assertThat(cli.execStdouts(PASSWORD_CLUSTER, "id -un")).containsExactly("fleet\n", "fleet\n");

        Cli.Result destroy = cli.run("cluster", "destroy", PASSWORD_CLUSTER, "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
        // As with TiUP the user stays; the cluster's key does not.
        for (TestHost host : clusterHosts()) {
            assertThat(Files.readAllLines(host.home().resolve("fleet/.ssh/authorized_keys")))
                    .isEmpty();
            assertThat(Files.readString(host.etc().resolve("passwd"))).contains("\nfleet:");
        }
    }

    @Test
    @Order(4)
    void deployAsRootCreatesTheDeployUserWithTheClusterKeyAndRunsEverythingAsIt() throws Exception {
        Cli.Result dryRun = cli.run(deployAsRoot("--dry-run"));
        assertThat(dryRun.exitCode()).as(dryRun.all()).isZero();
        String address = hosts.hosts().getFirst().address();
        assertThat(dryRun.out())
                .startsWith("bootstrap %s: 3 steps\n".formatted(NAME))
                .contains("log in as root to " + address)
                .contains("create user tidb on %s and authorize the cluster's key".formatted(address))
                .contains("deploy %s: ".formatted(NAME))
                .contains("install agent on " + address);
        assertThat(home.resolve("clusters").resolve(NAME))
                .as("a dry run writes nothing")
                .doesNotExist();

        Cli.Result deploy = cli.run(deployAsRoot("--yes"));
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        assertThat(deploy.err())
                .contains("create user tidb on " + hosts.hosts().getFirst().address());
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();

        Path key = home.resolve("clusters").resolve(NAME).resolve("ssh/id_ed25519");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                .isEqualTo("rw-------");
        assertThat(Files.size(key)).isPositive();
        String publicKey = Files.readString(Path.of(key + ".pub")).strip();
        assertThat(deploy.all())
                .doesNotContain(
                        Files.readString(key).lines().skip(1).findFirst().orElseThrow());

        for (int i = 0; i < 2; i++) {
            TestHost host = hosts.hosts().get(i);
            assertThat(Files.readString(host.etc().resolve("passwd"))).contains("\ntidb:");
            Path keys = host.home().resolve("tidb/.ssh/authorized_keys");
            assertThat(Files.readAllLines(keys)).containsExactly(publicKey);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)))
                    .isEqualTo("rw-------");
            assertThat(rootKeys(host)).isEqualTo(rootKeysBefore.get(i));
            ExecResult owners = host.exec("stat", "-c", "%U %n", "/srv/boot/deploy", "/srv/boot/data");
            assertThat(owners.stdout()).isEqualTo("tidb /srv/boot/deploy\ntidb /srv/boot/data\n");
            // The PIDs are shared with this machine: ask ps about the host's own processes, with the host's /etc.
            ExecResult processes = host.exec("ps", "-o", "user=,comm=", "-p", String.join(",", pidsIn(host)));
            List<String> ours = processes
                    .stdout()
                    .lines()
                    .map(line -> line.strip().replaceAll("\\s+", " "))
                    .filter(line -> !line.equals("root sshd") && !line.equals("root ps"))
                    .toList();
            // The agent, MariaDB and the exporters: everything but root's own ssh session.
            assertThat(ours)
                    .contains("tidb mariadbd", "tidb java")
                    .hasSizeGreaterThanOrEqualTo(4)
                    .allMatch(line -> line.startsWith("tidb "));
            ExecResult sudoers =
                    host.exec("sh", "-c", "cat /etc/sudoers /etc/sudoers.d/* 2>/dev/null | grep -c NOPASSWD || true");
            assertThat(sudoers.stdout().strip()).isEqualTo("0");
        }
    }

    @Test
    @Order(5)
    void scaleOutBootstrapsANewHostWithTheSameLoginAndScaleInTakesTheKeyBack() throws Exception {
        TestHost third = hosts.hosts().get(2);
        Path fragment = root.resolve("scale-out.yaml");
        Files.writeString(fragment, """
                mariadb_servers:
                  - { host: %s }
                """.formatted(third.address()));
        Cli.Result scaled = cli.run(
                "cluster",
                "scale-out",
                NAME,
                fragment.toString(),
                "--yes",
                "--user",
                "root",
                "-i",
                hosts.clientKey().toString());
        assertThat(scaled.exitCode()).as(scaled.all()).isZero();
        assertThat(scaled.err()).contains("create user tidb on " + third.address());
        String publicKey = Files.readString(
                        home.resolve("clusters").resolve(NAME).resolve("ssh/id_ed25519.pub"))
                .strip();
        Path keys = third.home().resolve("tidb/.ssh/authorized_keys");
        assertThat(Files.readAllLines(keys)).containsExactly(publicKey);
        ExecResult processes = third.exec("ps", "-o", "user=,comm=", "-p", String.join(",", pidsIn(third)));
        assertThat(processes.stdout().lines().map(line -> line.strip().replaceAll("\\s+", " ")))
                .contains("tidb mariadbd", "tidb java");

        Cli.Result scaledIn = cli.run("cluster", "scale-in", NAME, "-N", third.address() + ":3306", "--yes");
        assertThat(scaledIn.exitCode()).as(scaledIn.all()).isZero();
        assertThat(Files.readAllLines(keys)).isEmpty();
        assertEventually(
                Duration.ofSeconds(10), () -> assertThat(processesIn(third)).containsOnly("sshd"));
    }

    @Test
    @Order(6)
    void laterCommandsLogInAsTheDeployUserEvenOnceRootsKeyIsRefused() throws Exception {
        for (TestHost host : hosts.hosts()) {
            Files.writeString(host.rootAuthorizedKeys(), "");
            assertThat(host.exec("true").exitCode()).isEqualTo(255);
        }
        Cli.Result stop = cli.run("cluster", "stop", NAME);
        assertThat(stop.exitCode()).as(stop.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        Cli.Result display = cli.run("cluster", "display", NAME, "--format", "json");
        assertThat(display.exitCode()).as(display.all()).isZero();
        JsonNode json = Output.JSON.readTree(display.out());
        assertThat(json.path("instances")
                        .valueStream()
                        .map(each -> each.path("status").asString()))
                .hasSize(6) // two MariaDB, and node_exporter and blackbox_exporter on each host
                .containsOnly("Up");
        assertThat(cli.execStdouts(NAME, "id -un")).containsExactly("tidb\n", "tidb\n");
    }

    @Test
    @Order(7)
    void destroyRemovesTheClusterKeyAndEverythingItRanButKeepsTheUser() throws Exception {
        Cli.Result destroy = cli.run("cluster", "destroy", NAME, "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
        assertThat(home.resolve("clusters").resolve(NAME)).doesNotExist();
        for (TestHost host : clusterHosts()) {
            assertThat(Files.readAllLines(host.home().resolve("tidb/.ssh/authorized_keys")))
                    .isEmpty();
            assertThat(Files.readString(host.etc().resolve("passwd"))).contains("\ntidb:");
            // The deploy user cannot remove the roots themselves (their parent is root's): they are left empty.
            try (Stream<Path> left = Files.list(host.srv().resolve("boot"))) {
                assertThat(left.map(path -> path.getFileName().toString())).containsExactlyInAnyOrder("deploy", "data");
            }
            assertThat(host.srv().resolve("boot/deploy")).isEmptyDirectory();
            assertThat(host.srv().resolve("boot/data")).isEmptyDirectory();
            assertEventually(
                    Duration.ofSeconds(10), () -> assertThat(processesIn(host)).containsOnly("sshd"));
        }
    }

    @Test
    @Order(8)
    void aDeployUserThatCannotWriteTheFoldersIsRefusedNamingHostAndFolder() throws Exception {
        TestHost first = hosts.hosts().getFirst();
        // Logging in as the deploy user itself: no bootstrap, so nobody prepares /srv/other for it.
        Files.copy(
                Path.of(hosts.clientKey() + ".pub"),
                first.home().resolve("tidb/.ssh/authorized_keys"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path own = root.resolve("own-topology.yaml");
        Files.writeString(own, """
                global:
                  user: tidb
                  deploy_dir: /srv/other/deploy
                  data_dir: /srv/other/data
                etcd_servers:
                  - { host: %s, client_port: 12379, peer_port: 12380 }
                """.formatted(first.address()));
        Cli.Result refused = cli.run(
                "cluster",
                "deploy",
                "own",
                own.toString(),
                "--yes",
                "--user",
                "tidb",
                "-i",
                hosts.clientKey().toString(),
                "--known-hosts",
                hosts.knownHosts().toString());
        assertThat(refused.exitCode()).as(refused.all()).isEqualTo(1);
        assertThat(refused.err()).isEqualTo("""
                        Error: host %1$s: the deploy user tidb cannot write /srv/other/deploy: /srv is owned by root; give it to tidb (chown), or deploy with --user root so that Flotilla prepares it
                        host %1$s: the deploy user tidb cannot write /srv/other/data: /srv is owned by root; give it to tidb (chown), or deploy with --user root so that Flotilla prepares it
                        """.formatted(first.address()));
        assertThat(home.resolve("clusters").resolve("own")).doesNotExist();
        assertThat(first.srv().resolve("other")).doesNotExist();
    }

    @Test
    @Order(9)
    void aSudoerWhoseSudoAsksForItsPasswordBootstrapsTheDeployUser() throws Exception {
        String password = "fbo-admin-Secret-3";
        for (int i = 0; i < hosts.hosts().size(); i++) {
            Files.writeString(hosts.hosts().get(i).rootAuthorizedKeys(), rootKeysBefore.get(i));
        }
        for (TestHost host : hosts.hosts()) {
            ExecResult add = host.exec("useradd", "--create-home", "admin");
            assertThat(add.exitCode()).as(add.stderr()).isZero();
            host.setPassword("admin", password);
            // sudo asks admin for its own password: no NOPASSWD.
            Path dropIn = host.etc().resolve("sudoers.d/admin");
            Files.writeString(dropIn, "admin ALL=(ALL:ALL) ALL\n");
            Files.setPosixFilePermissions(dropIn, PosixFilePermissions.fromString("r--r-----"));
        }
        Path crew = root.resolve("crew-topology.yaml");
        Files.writeString(crew, """
                global:
                  user: crew
                  deploy_dir: /srv/crew/deploy
                  data_dir: /srv/crew/data
                etcd_servers:
                  - { host: %1$s, client_port: 13379, peer_port: 13380 }
                  - { host: %2$s, client_port: 13379, peer_port: 13380 }
                """.formatted(
                        hosts.hosts().get(0).address(), hosts.hosts().get(1).address()));
        Cli.Result deploy = cli.run(
                "cluster",
                "deploy",
                "crew",
                crew.toString(),
                "--yes",
                "--user",
                "admin",
                "--password-file",
                passwordFile(password, "rw-------").toString(),
                "--known-hosts",
                hosts.knownHosts().toString());
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        for (TestHost host : clusterHosts()) {
            assertThat(Files.readString(host.etc().resolve("passwd"))).contains("\ncrew:");
            assertThat(host.exec("stat", "-c", "%U", "/srv/crew/deploy").stdout())
                    .isEqualTo("crew\n");
        }
        // The password reached sudo through a 0600 file that is gone again (/tmp is shared with this machine).
        try (Stream<Path> tmp = Files.list(Path.of("/tmp"))) {
            assertThat(tmp.map(path -> path.getFileName().toString()))
                    .noneMatch(name -> name.startsWith(".flotilla-sudo-"));
        }
        Cli.Result exec = cli.run("cluster", "exec", "crew", "--command", "id -un; sudo -n true", "--format", "json");
        JsonNode results = Output.JSON.readTree(exec.out()).path("results");
        assertThat(results.valueStream().map(each -> each.path("stdout").asString()))
                .containsExactly("crew\n", "crew\n");
        assertThat(results.valueStream().map(each -> each.path("exit_code").asInt()))
                .as("the deploy user may not sudo")
                .containsOnly(1);
        Cli.Result destroy = cli.run("cluster", "destroy", "crew", "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
    }

    private static List<String> pidsIn(TestHost host) throws Exception {
        Process ip = new ProcessBuilder("ip", "netns", "pids", host.name()).start();
        String pids = new String(ip.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        ip.waitFor();
        return pids.lines().map(String::strip).filter(pid -> !pid.isEmpty()).toList();
    }

    /** The programs running in a host's network namespace (its PIDs are shared with this machine). */
    private static List<String> processesIn(TestHost host) throws Exception {
        return pidsIn(host).stream()
                .map(pid -> ProcessHandle.of(Long.parseLong(pid))
                        .flatMap(process -> process.info().command())
                        .map(command -> Path.of(command).getFileName().toString())
                        .orElse("gone"))
                .filter(command -> !command.equals("gone"))
                .distinct()
                .toList();
    }
}
