package io.flotilla.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.kex.KeyExchangeFactory;
import org.junit.jupiter.api.Test;

class KeyExchangeOrderTest {
    private static List<String> names(List<KeyExchangeFactory> factories) {
        return factories.stream().map(KeyExchangeFactory::getName).toList();
    }

    @Test
    void theFastKeyExchangesComeFirstAndTheSlowPostQuantumOneAfterThem() {
        // MINA's default order when BouncyCastle is on the class path (as in the CLI): sntrup761 first.
        List<KeyExchangeFactory> minaOrder = Stream.of(
                        BuiltinDHFactories.sntrup761x25519,
                        BuiltinDHFactories.sntrup761x25519_openssh,
                        BuiltinDHFactories.mlkem768x25519,
                        BuiltinDHFactories.mlkem1024nistp384,
                        BuiltinDHFactories.mlkem768nistp256,
                        BuiltinDHFactories.curve25519,
                        BuiltinDHFactories.curve25519_libssh,
                        BuiltinDHFactories.ecdhp256,
                        BuiltinDHFactories.dhg14_256)
                .map(ClientBuilder.DH2KEX)
                .toList();

        assertThat(names(SshConnections.preferFastKeyExchanges(minaOrder)))
                .containsExactly(
                        "mlkem768x25519-sha256",
                        "curve25519-sha256",
                        "curve25519-sha256@libssh.org",
                        "sntrup761x25519-sha512",
                        "sntrup761x25519-sha512@openssh.com",
                        "mlkem1024nistp384-sha384",
                        "mlkem768nistp256-sha256",
                        "ecdh-sha2-nistp256",
                        "diffie-hellman-group14-sha256");
    }

    @Test
    void everyDefaultOfThisClassPathStaysOnOffer() {
        List<KeyExchangeFactory> defaults = SshClient.setUpDefaultClient().getKeyExchangeFactories();

        assertThat(names(SshConnections.preferFastKeyExchanges(defaults)))
                .containsExactlyInAnyOrderElementsOf(names(defaults))
                .startsWith("curve25519-sha256");
    }
}
