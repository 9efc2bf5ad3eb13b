package io.flotilla.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshHostKeysTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path serverDir;

    @TempDir
    Path dir;

    private static TestingSshd sshd;

    @BeforeAll
    static void startServer() throws Exception {
        sshd = TestingSshd.start(serverDir);
    }

    @AfterAll
    static void stopServer() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void aKnownKeyIsAccepted() throws Exception {
        Path knownHosts = dir.resolve("known_hosts");
        Files.writeString(
                knownHosts,
                "# other hosts\n10.0.0.9 " + publicKey(sshd.strangerKey) + "\n" + sshd.knownHostsLine() + "\n");
        assertThat(echo(options(knownHosts, false))).isEqualTo("hello\n");
        assertThat(dir.resolve("cluster_known_hosts")).doesNotExist();
    }

    @Test
    void aHashedEntryIsAccepted() throws Exception {
        Path knownHosts = dir.resolve("known_hosts");
        Files.writeString(knownHosts, sshd.knownHostsLine() + "\n");
        Process hash = new ProcessBuilder("ssh-keygen", "-H", "-f", knownHosts.toString())
                .redirectErrorStream(true)
                .start();
        hash.getInputStream().readAllBytes();
        assertThat(hash.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(knownHosts)).startsWith("|1|").doesNotContain("127.0.0.1");
        assertThat(echo(options(knownHosts, false))).isEqualTo("hello\n");
    }

    @Test
    void anUnknownKeyIsRefusedWithItsFingerprint() throws Exception {
        Path knownHosts = dir.resolve("known_hosts");
        assertThatThrownBy(() -> echo(options(knownHosts, false)))
                .isInstanceOf(ExecException.class)
                .hasMessage(("ssh root@127.0.0.1:%d: host key of 127.0.0.1:%d is not known (ssh-ed25519 %s); check it"
                                + " with the host's owner, then add it to %s or pass --accept-new-host-keys")
                        .formatted(sshd.port, sshd.port, hostFingerprint(), knownHosts))
                .extracting(e -> ((ExecException) e).host())
                .isEqualTo("127.0.0.1");
        assertThat(dir.resolve("cluster_known_hosts")).doesNotExist();
    }

    @Test
    void anUnknownKeyIsTrustedOnFirstUseWhenAskedAndRecordedInTheClusterFile() throws Exception {
        Path knownHosts = dir.resolve("known_hosts");
        assertThat(echo(options(knownHosts, true))).isEqualTo("hello\n");
        assertThat(Files.readAllLines(dir.resolve("cluster_known_hosts"))).containsExactly(sshd.knownHostsLine());
        assertThat(knownHosts).doesNotExist();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir.resolve("cluster_known_hosts"))))
                .as("made owner-only, like the cluster's other state")
                .isEqualTo("rw-------");

        assertThat(echo(options(knownHosts, false)))
                .as("the recorded key is trusted from now on")
                .isEqualTo("hello\n");
        assertThat(Files.readAllLines(dir.resolve("cluster_known_hosts"))).hasSize(1);
    }

    @Test
    void aChangedKeyIsRefusedEvenWhenNewKeysAreAccepted() throws Exception {
        Path knownHosts = dir.resolve("known_hosts");
        String oldEntry = "[127.0.0.1]:%d %s".formatted(sshd.port, publicKey(sshd.strangerKey));
        Files.writeString(knownHosts, oldEntry + "\n");
        assertThatThrownBy(() -> echo(options(knownHosts, true)))
                .isInstanceOf(ExecException.class)
                .hasMessage(("ssh root@127.0.0.1:%d: host key of 127.0.0.1:%d CHANGED: expected %s, got %s; someone"
                                + " may be intercepting, or the host was reinstalled; remove the old entry from %s if"
                                + " you trust the new key")
                        .formatted(
                                sshd.port,
                                sshd.port,
                                fingerprint(sshd.strangerKey + ".pub"),
                                hostFingerprint(),
                                knownHosts));
        assertThat(dir.resolve("cluster_known_hosts")).doesNotExist();
    }

    @Test
    void aChangedKeyInTheClusterFileIsRefusedToo() throws Exception {
        Path cluster = dir.resolve("cluster_known_hosts");
        Files.writeString(cluster, "[127.0.0.1]:%d %s%n".formatted(sshd.port, publicKey(sshd.strangerKey)));
        assertThatThrownBy(() -> echo(options(dir.resolve("known_hosts"), true)))
                .isInstanceOf(ExecException.class)
                .hasMessageContaining("CHANGED")
                .hasMessageEndingWith("remove the old entry from %s if you trust the new key".formatted(cluster));
    }

    private SshOptions options(Path knownHosts, boolean acceptNew) {
        return SshOptions.of("root", List.of(sshd.ed25519), knownHosts, dir.resolve("cluster_known_hosts"))
                .withPort(sshd.port)
                .withAcceptNewHostKeys(acceptNew)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), TIMEOUT);
    }

    private static String echo(SshOptions options) {
        try (SshConnections connections = SshConnections.start(options, 4, 4)) {
            return connections
                    .executor("127.0.0.1")
                    .check(List.of("echo", "hello"), TIMEOUT)
                    .stdout();
        }
    }

    private static String publicKey(Path privateKey) throws Exception {
        String[] fields = Files.readString(Path.of(privateKey + ".pub")).strip().split(" ");
        return fields[0] + " " + fields[1];
    }

    private static String hostFingerprint() throws Exception {
        return fingerprint(sshd.hostKey + ".pub");
    }

    /** The fingerprint as OpenSSH's own ssh-keygen prints it, to check ours against. */
    private static String fingerprint(String publicKeyFile) throws Exception {
        Process keygen = new ProcessBuilder("ssh-keygen", "-l", "-E", "sha256", "-f", publicKeyFile)
                .redirectErrorStream(true)
                .start();
        String output = new String(keygen.getInputStream().readAllBytes()).strip();
        assertThat(keygen.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return output.split(" ")[1];
    }
}
