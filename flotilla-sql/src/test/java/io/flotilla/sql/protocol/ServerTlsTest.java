package io.flotilla.sql.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
}
