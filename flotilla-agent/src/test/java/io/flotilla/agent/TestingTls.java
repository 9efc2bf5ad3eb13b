package io.flotilla.agent;

import io.flotilla.agent.api.AgentTls;
import io.flotilla.tls.CertificateAuthority;
import io.flotilla.tls.IssuedCertificate;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import javax.net.ssl.SSLContext;

/** A cluster CA for the tests of this module, and the agent certificates it issues for 127.0.0.1. */
final class TestingTls {
    static final CertificateAuthority CA = CertificateAuthority.create("agent-tests");
    private static final IssuedCertificate LOOPBACK = CA.issue("127.0.0.1");

    private TestingTls() {}

    /** The agent's side for 127.0.0.1. */
    static SSLContext server() {
        return AgentTls.server(LOOPBACK.key(), LOOPBACK.certificate());
    }

    /** A client's side, trusting {@link #CA} alone. */
    static SSLContext client() {
        return AgentTls.pinned(List.of(CA.certificate()));
    }

    /** An HTTP client trusting {@link #CA} alone, for raw requests. */
    static HttpClient http() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(client())
                .build();
    }

    /** Writes {@code tls/agent.key} (0600 from the first byte) and {@code tls/agent.crt} into an agent folder. */
    static void writeAgentFiles(Path dir, IssuedCertificate issued) throws IOException {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        Path key = tls.resolve("agent.key");
        Files.deleteIfExists(key);
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(key, issued.keyPem());
        Files.write(tls.resolve("agent.crt"), issued.certificatePem());
    }

    static void writeAgentFiles(Path dir) throws IOException {
        writeAgentFiles(dir, LOOPBACK);
    }
}
