package io.flotilla.sql.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerTlsTest {
    @TempDir
    Path dir;

    @Test
    void theCertificateKeptOnFirstUseIsLoadedAgainOnTheNextStart() throws Exception {
        ServerTls first = ServerTls.loadOrGenerate(dir, "flotilla");
        String key = Files.readString(dir.resolve("key.pem"));

        ServerTls again = ServerTls.loadOrGenerate(dir, "flotilla");

        assertThat(again.fingerprint()).isEqualTo(first.fingerprint());
        assertThat(again.context().isServer()).isTrue();
        assertThat(Files.readString(dir.resolve("key.pem"))).isEqualTo(key);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("key.pem"))))
                .isEqualTo("rw-------");
    }

    @Test
    void aKeyWrittenWithoutItsCurveByEarlierVersionsSaysToRemoveIt() throws Exception {
        ServerTls.loadOrGenerate(dir, "flotilla");
        // What earlier versions wrote: the JDK's EC key through JcaPEMWriter, SEC1 without the curve.
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(generator.generateKeyPair().getPrivate());
        }
        Files.writeString(dir.resolve("key.pem"), pem.toString());

        assertThatThrownBy(() -> ServerTls.loadOrGenerate(dir, "flotilla"))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessage("cannot keep the SQL endpoint's TLS certificate in " + dir)
                .cause()
                .hasMessageStartingWith(dir.resolve("key.pem") + " cannot be read (")
                .hasMessageEndingWith(
                        "); remove it and %s to have a new certificate generated".formatted(dir.resolve("cert.pem")));
    }
}
