package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.testing.TestHost;
import io.flotilla.testing.TestHosts;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
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
 * The ways a deploy or a check logs in to two real hosts (network namespaces with their own sshd and
 * /etc): keys protected by a passphrase (ed25519 and RSA, made by ssh-keygen -N), the passphrase from
 * a file of mode 0600 or typed at a terminal, and the password typed at a terminal. The terminal is
 * a real pseudo-terminal: the command runs as a child process under util-linux {@code script}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SshLoginTest {
    private static final String NAME = "pk";
    private static final String TYPED_CLUSTER = "pktyped";
    private static final String PASSPHRASE = "fpk-pass phrase-9";
    private static final String RSA_PASSPHRASE = "fpk-rsa-Phrase-4";
    private static final String ROOT_PASSWORD = "fpk-root-Secret-2";

    @TempDir
    static Path root;

    private static TestHosts hosts;
    private static Cli cli;
    private static Path home;
    private static Path topology;
    private static Path ed25519;
    private static Path rsa;

    @BeforeAll
    static void createHosts() throws Exception {
        hosts = TestHosts.create("fpk", 2);
        home = root.resolve("home");
        cli = new Cli(home);
        ed25519 = root.resolve("id_ed25519_passphrase");
        rsa = root.resolve("id_rsa_passphrase");
        keygen(ed25519, "ed25519", PASSPHRASE);
        keygen(rsa, "rsa", RSA_PASSPHRASE);
        for (TestHost host : hosts.hosts()) {
            Files.writeString(
                    host.rootAuthorizedKeys(),
                    Files.readString(Path.of(ed25519 + ".pub")) + Files.readString(Path.of(rsa + ".pub")),
                    StandardOpenOption.APPEND);
            host.setPassword("root", ROOT_PASSWORD);
        }
        topology = root.resolve("topology.yaml");
        Files.writeString(topology, """
                global:
                  deploy_dir: /srv/pk/deploy
                  data_dir: /srv/pk/data
                etcd_servers:
                  - { host: %s, client_port: 12379, peer_port: 12380, ignore_exporter: true }
                  - { host: %s, client_port: 12379, peer_port: 12380, ignore_exporter: true }
                """.formatted(
                        hosts.hosts().get(0).address(), hosts.hosts().get(1).address()));
    }

    @AfterAll
    static void cleanUp() {
        try {
            for (String name : List.of(NAME, TYPED_CLUSTER)) {
                if (Files.exists(home.resolve("clusters").resolve(name))) {
                    cli.run("cluster", "destroy", name, "--yes");
                }
            }
        } finally {
            hosts.close();
        }
    }

    private static void keygen(Path file, String type, String passphrase) throws Exception {
        Process process = new ProcessBuilder(
                        "ssh-keygen", "-q", "-t", type, "-N", passphrase, "-C", "fpk-" + type, "-f", file.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
    }

    private static Path secretFile(String content, String mode) throws Exception {
        Path file = Files.createTempFile(root, "secret", "");
        Files.writeString(file, content + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private static String[] deploy(String... login) {
        List<String> args = new ArrayList<>(List.of("cluster", "deploy", NAME, topology.toString(), "--yes"));
        args.addAll(List.of(login));
        args.addAll(List.of("--known-hosts", hosts.knownHosts().toString()));
        return args.toArray(String[]::new);
    }

    private static String[] checkPrivileges(String... login) {
        List<String> args = new ArrayList<>(List.of("cluster", "check", topology.toString(), "--only", "privileges"));
        args.addAll(List.of(login));
        args.addAll(List.of("--known-hosts", hosts.knownHosts().toString()));
        return args.toArray(String[]::new);
    }

    private static void assertNothingChanged() throws Exception {
        assertThat(home.resolve("clusters").resolve(NAME)).doesNotExist();
        for (TestHost host : hosts.hosts()) {
            assertThat(Files.readString(host.etc().resolve("passwd"))).doesNotContain("\ntidb:");
            assertThat(host.srv().resolve("pk")).doesNotExist();
        }
    }

    /** The rows of `check --only privileges` as root on both hosts, as the table prints them. */
    private static void assertRootOnBothHosts(String out) {
        for (TestHost host : hosts.hosts()) {
            assertThat(out)
                    .containsPattern("(?m)^%s +privileges +Pass +root \\(uid 0\\)\\r?$"
                            .formatted(host.address().replace(".", "\\.")));
        }
    }

    /** Runs the command on a pseudo-terminal, types {@code typed} once {@code prompt} shows, and returns all it printed. */
    private static String onTerminal(String prompt, String typed, String... args) throws Exception {
        Path out = Files.createTempFile(root, "terminal", ".out");
        Process process = cli.startOnTerminal(out, args);
        try {
            assertEventually(
                    Duration.ofSeconds(30),
                    () -> assertThat(Files.readString(out)).contains(prompt));
            try (OutputStream keyboard = process.getOutputStream()) {
                keyboard.write((typed + "\r").getBytes(StandardCharsets.UTF_8));
                keyboard.flush();
                assertThat(process.waitFor(180, TimeUnit.SECONDS))
                        .as(Files.readString(out))
                        .isTrue();
            }
            assertThat(process.exitValue()).as(Files.readString(out)).isZero();
            return Files.readString(out);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    @Order(1)
    void aKeyWithAPassphraseAndNoTerminalIsRefusedBeforeAnyHostIsTouched() throws Exception {
        Cli.Result refused = cli.run(deploy("--user", "root", "-i", ed25519.toString()));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo(
                        "Error: SSH key %s is protected by a passphrase and there is no terminal to ask for it; give it with --identity-passphrase-file FILE (mode 0600)%n"
                                .formatted(ed25519));
        assertNothingChanged();
    }

    @Test
    @Order(2)
    void aWrongPassphraseIsRefusedNamingTheKeyBeforeAnyHostIsTouched() throws Exception {
        Path wrong = secretFile("not the passphrase", "rw-------");
        Cli.Result refused = cli.run(
                deploy("--user", "root", "-i", ed25519.toString(), "--identity-passphrase-file", wrong.toString()));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo(
                        "Error: the passphrase in %1$s does not open the SSH key %2$s: the passphrase is wrong; check it (ssh-keygen -y -f %2$s asks for it and prints the public key); nothing was changed%n"
                                .formatted(wrong, ed25519));
        assertThat(refused.all()).doesNotContain("not the passphrase");
        assertNothingChanged();
    }

    @Test
    @Order(3)
    void aPassphraseFileOthersMayReadIsRefused() throws Exception {
        Path open = secretFile(PASSPHRASE, "rw-r-----");
        Cli.Result refused = cli.run(
                deploy("--user", "root", "-i", ed25519.toString(), "--identity-passphrase-file", open.toString()));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo(
                        "Error: passphrase file %1$s has mode rw-r-----: others than its owner may read or change it; run `chmod 600 %1$s` (and change the passphrase if others could read it)%n"
                                .formatted(open));
        Path plainKey = hosts.clientKey();
        Cli.Result needless = cli.run(
                deploy("--user", "root", "-i", plainKey.toString(), "--identity-passphrase-file", open.toString()));
        assertThat(needless.err())
                .isEqualTo("Error: SSH key %s has no passphrase; leave out --identity-passphrase-file%n"
                        .formatted(plainKey));
        assertNothingChanged();
    }

    @Test
    @Order(4)
    void aPasswordPromptWithoutATerminalSaysToUseAPasswordFile() throws Exception {
        Cli.Result refused = cli.run(checkPrivileges("--user", "root", "-p"));
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo(
                        "Error: -p needs a terminal to ask for the password; use --password-file FILE%n".formatted());
    }

    @Test
    @Order(5)
    void deployWithAnEd25519KeyAndItsPassphraseFileBootstrapsTheDeployUser() throws Exception {
        Path passphrase = secretFile(PASSPHRASE, "rw-------");
        Cli.Result deployed = cli.run(deploy(
                "--user", "root", "-i", ed25519.toString(), "--identity-passphrase-file", passphrase.toString()));
        assertThat(deployed.exitCode()).as(deployed.all()).isZero();
        assertThat(deployed.all()).doesNotContain(PASSPHRASE);
        // Nor in what the cluster keeps: journal, audit log, topology, state.
        try (var files = Files.walk(home)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(file, StandardCharsets.ISO_8859_1))
                        .as(file.toString())
                        .doesNotContain(PASSPHRASE);
            }
        }
        String clusterKey = Files.readString(
                        home.resolve("clusters").resolve(NAME).resolve("ssh/id_ed25519.pub"))
                .strip();
        for (TestHost host : hosts.hosts()) {
            assertThat(Files.readAllLines(host.home().resolve("tidb/.ssh/authorized_keys")))
                    .containsExactly(clusterKey);
        }
        // Later commands log in as the deploy user with the cluster's key: no passphrase is asked for.
        assertThat(cli.execStdouts(NAME, "id -un")).containsExactly("tidb\n", "tidb\n");
    }

    @Test
    @Order(6)
    void anRsaKeyWithAPassphraseLogsInToCheck() throws Exception {
        Path passphrase = secretFile(RSA_PASSPHRASE, "rw-------");
        Cli.Result check = cli.run(checkPrivileges(
                "--user", "root", "-i", rsa.toString(), "--identity-passphrase-file", passphrase.toString()));
        assertThat(check.exitCode()).as(check.all()).isZero();
        assertRootOnBothHosts(check.out());
        assertThat(check.out()).endsWith("%n2 pass, 0 warn, 0 fail%n".formatted());
    }

    @Test
    @Order(7)
    void thePasswordIsTypedOnATerminalWithoutEcho() throws Exception {
        String out = onTerminal("Password of root: ", ROOT_PASSWORD, checkPrivileges("--user", "root", "-p"));
        assertRootOnBothHosts(out);
        assertThat(out).doesNotContain(ROOT_PASSWORD);
    }

    @Test
    @Order(8)
    void aKeysPassphraseIsTypedOnATerminalWithoutEcho() throws Exception {
        String out = onTerminal(
                "Passphrase of %s: ".formatted(ed25519),
                PASSPHRASE,
                checkPrivileges("--user", "root", "-i", ed25519.toString()));
        assertRootOnBothHosts(out);
        assertThat(out).doesNotContain(PASSPHRASE);
    }

    @Test
    @Order(9)
    void aDeployedClusterIsCheckedWithItsOwnLogin() throws Exception {
        Cli.Result check = cli.run("cluster", "check", NAME, "--only", "privileges");
        assertThat(check.exitCode()).as(check.all()).isZero();
        for (TestHost host : hosts.hosts()) {
            assertThat(check.out())
                    .containsPattern(
                            "(?m)^%s +privileges +Warn +tidb is not root and has no passwordless sudo: --apply cannot change system settings$"
                                    .formatted(host.address().replace(".", "\\.")));
        }
        // The deploy user has no sudo: --apply on a deployed cluster changes nothing and says where to go instead.
        Cli.Result apply = cli.run("cluster", "check", NAME, "--only", "sysctl net.core.somaxconn", "--apply");
        assertThat(apply.exitCode()).as(apply.all()).isEqualTo(1);
        for (TestHost host : hosts.hosts()) {
            assertThat(apply.out())
                    .containsPattern(
                            "(?m)^%1$s +apply +Fail +tidb on %1$s is not root and may not run sudo without a password: --apply cannot change /etc/sysctl\\.d/99-flotilla\\.conf; check the cluster's topology file with --apply and --user root \\(or a passwordless sudoer\\)$"
                                    .formatted(host.address().replace(".", "\\.")));
            assertThat(host.etc().resolve("sysctl.d/99-flotilla.conf")).doesNotExist();
        }
        Cli.Result refused = cli.run("cluster", "check", NAME, "--user", "root", "-p");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo(
                        "Error: cluster '%s' is reached with the login it was deployed with (its deploy user and the cluster's key); --user, -i, -p and --password-file are for a topology FILE%n"
                                .formatted(NAME));
    }

    @Test
    @Order(10)
    void theDeployUserItselfWithAKeyThatHasAPassphraseIsRefused() throws Exception {
        Path passphrase = secretFile(PASSPHRASE, "rw-------");
        Path own = root.resolve("own.yaml");
        Files.writeString(own, """
                global:
                  user: tidb
                  deploy_dir: /srv/own/deploy
                etcd_servers:
                  - { host: %s, ignore_exporter: true }
                """.formatted(hosts.hosts().getFirst().address()));
        Cli.Result refused = cli.run(
                "cluster",
                "deploy",
                "own",
                own.toString(),
                "--yes",
                "--user",
                "tidb",
                "-i",
                ed25519.toString(),
                "--identity-passphrase-file",
                passphrase.toString(),
                "--known-hosts",
                hosts.knownHosts().toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo(
                        "Error: --user tidb is the topology's deploy user (global.user), and later commands log in as it with its key without asking for a passphrase, but %s is protected by one: log in as root (or a sudoer) so that Flotilla authorizes a key of the cluster's own, or give a key without a passphrase%n"
                                .formatted(ed25519));
        assertThat(home.resolve("clusters").resolve("own")).doesNotExist();
        assertThat(hosts.hosts().getFirst().srv().resolve("own")).doesNotExist();
    }

    @Test
    @Order(11)
    void deployWithThePasswordTypedOnATerminalBootstrapsTheDeployUser() throws Exception {
        Path typedTopology = root.resolve("typed.yaml");
        Files.writeString(typedTopology, """
                global:
                  user: fleet
                  deploy_dir: /srv/pktyped/deploy
                  data_dir: /srv/pktyped/data
                etcd_servers:
                  - { host: %s, client_port: 22379, peer_port: 22380, ignore_exporter: true }
                  - { host: %s, client_port: 22379, peer_port: 22380, ignore_exporter: true }
                """.formatted(
                        hosts.hosts().get(0).address(), hosts.hosts().get(1).address()));
        String out = onTerminal(
                "Password of root: ",
                ROOT_PASSWORD,
                "cluster",
                "deploy",
                TYPED_CLUSTER,
                typedTopology.toString(),
                "--yes",
                "--user",
                "root",
                "-p",
                "--known-hosts",
                hosts.knownHosts().toString());
        assertThat(out)
                .contains("Cluster '%s' deployed.".formatted(TYPED_CLUSTER))
                .doesNotContain(ROOT_PASSWORD);
        assertThat(cli.execStdouts(TYPED_CLUSTER, "id -un")).containsExactly("fleet\n", "fleet\n");
        Cli.Result destroy = cli.run("cluster", "destroy", TYPED_CLUSTER, "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
    }
}
