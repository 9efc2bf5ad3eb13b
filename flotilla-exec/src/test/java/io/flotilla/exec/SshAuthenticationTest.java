package io.flotilla.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshAuthenticationTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path serverDir;

    private static TestingSshd sshd;
    private static Path knownHosts;

    @BeforeAll
    static void startServer() throws Exception {
        sshd = TestingSshd.start(serverDir);
        knownHosts = serverDir.resolve("known_hosts");
        Files.writeString(knownHosts, sshd.knownHostsLine() + "\n");
    }

    @AfterAll
    static void stopServer() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void ed25519AndRsaKeysLogIn() {
        assertThat(whoami(options(sshd.ed25519))).isEqualTo("root\n");
        assertThat(whoami(options(sshd.rsa))).isEqualTo("root\n");
    }

    @Test
    void aKeyWithAPassphraseLogsInWithItsPassphrase() throws Exception {
        Path passphrase = secretFile("passphrase", TestingSshd.PASSPHRASE);
        SshOptions options = options(sshd.ed25519WithPassphrase)
                .withPassphrases(file -> file.equals(sshd.ed25519WithPassphrase)
                        ? Optional.of(SshPassword.passphraseFile(passphrase))
                        : Optional.empty());
        assertThat(whoami(options)).isEqualTo("root\n");
    }

    @Test
    void aWrongPassphraseNamesTheKeyFileAndWhereThePassphraseCameFrom() throws Exception {
        Path wrong = secretFile("wrong-passphrase", "not the passphrase");
        SshOptions options = options(sshd.ed25519WithPassphrase)
                .withPassphrases(file -> Optional.of(SshPassword.passphraseFile(wrong)));
        assertThatThrownBy(() -> whoami(options))
                .isInstanceOf(ExecException.class)
                .hasMessage(
                        "the passphrase in %1$s does not open the SSH key %2$s: the passphrase is wrong; check it (ssh-keygen -y -f %2$s asks for it and prints the public key)"
                                .formatted(wrong, sshd.ed25519WithPassphrase));
    }

    @Test
    void anEncryptedKeyWithoutAPassphraseSaysHowToGiveIt() {
        assertThat(SshKeyFile.encrypted(sshd.ed25519WithPassphrase)).isTrue();
        assertThat(SshKeyFile.encrypted(sshd.ed25519)).isFalse();
        assertThatThrownBy(() -> whoami(options(sshd.ed25519WithPassphrase)))
                .isInstanceOf(ExecException.class)
                .hasMessage(
                        "SSH key %s is protected by a passphrase and none was given; type it at the prompt, or give it with --identity-passphrase-file FILE"
                                .formatted(sshd.ed25519WithPassphrase));
    }

    private static Path secretFile(String name, String content) throws Exception {
        Path file = serverDir.resolve(name);
        Files.writeString(file, content + "\n");
        return file;
    }

    @Test
    void aWrongKeyFailsQuicklyNamingWhatWasTried() {
        long started = System.nanoTime();
        assertThatThrownBy(() -> whoami(options(sshd.strangerKey)))
                .isInstanceOf(ExecException.class)
                .hasMessage(
                        "ssh root@127.0.0.1:%d: authentication failed with key %s (ed25519); check that its public key is in the authorized_keys of root on 127.0.0.1"
                                .formatted(sshd.port, sshd.strangerKey))
                .extracting(e -> ((ExecException) e).host())
                .isEqualTo("127.0.0.1");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aRefusedPasswordNamesItsFileButNeverItsContent() throws Exception {
        Path passwordFile = serverDir.resolve("password");
        Files.writeString(passwordFile, "hunter2\n");
        SshOptions options = options(sshd.strangerKey).withPasswordFile(passwordFile);
        assertThatThrownBy(() -> whoami(options))
                .isInstanceOf(ExecException.class)
                .hasMessage(
                        "ssh root@127.0.0.1:%d: authentication failed with key %s (ed25519) and the password in %s; check the key and the password"
                                .formatted(sshd.port, sshd.strangerKey, passwordFile));
        assertThat(options.toString()).doesNotContain("hunter2");
    }

    @Test
    void aRefusedConnectionNamesHostAndPort() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        SshOptions options = options(sshd.ed25519).withPort(port);
        assertThatThrownBy(() -> whoami(options))
                .isInstanceOf(ExecException.class)
                .hasMessage(
                        "ssh root@127.0.0.1:%d: connection refused; check that sshd runs on 127.0.0.1 and listens on port %d"
                                .formatted(port, port));
    }

    @Test
    void aServerThatNeverAnswersFailsWithinTheAuthenticationTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread accepting = Thread.ofVirtual().start(() -> {
                try (Socket ignored = silent.accept()) {
                    ignored.getInputStream().readAllBytes();
                } catch (Exception ignored) {
                    // The test is over: the socket closed.
                }
            });
            SshOptions options = options(sshd.ed25519)
                    .withPort(silent.getLocalPort())
                    .withTimeouts(Duration.ofSeconds(1), Duration.ofMillis(800), TIMEOUT);
            long started = System.nanoTime();
            assertThatThrownBy(() -> whoami(options))
                    .isInstanceOf(ExecException.class)
                    .hasMessage(
                            "ssh root@127.0.0.1:%d: authentication did not finish within 800 ms with key %s (ed25519); check that the host is an SSH server that answers"
                                    .formatted(silent.getLocalPort(), sshd.ed25519));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
            silent.close();
            accepting.join(Duration.ofSeconds(5));
        }
    }

    private static SshOptions options(Path identity) {
        return SshOptions.of("root", List.of(identity), knownHosts, serverDir.resolve("cluster_known_hosts"))
                .withPort(sshd.port)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), TIMEOUT);
    }

    private static String whoami(SshOptions options) {
        try (SshConnections connections = SshConnections.start(options, 4, 4)) {
            return connections
                    .executor("127.0.0.1")
                    .check(List.of("whoami"), TIMEOUT)
                    .stdout();
        }
    }
}
