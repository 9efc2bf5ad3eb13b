package io.flotilla.sql.protocol;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.Pem;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.tls.CertificateAuthority;
import io.flotilla.tls.IssuedCertificate;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import javax.net.ssl.SSLException;

/**
 * The SQL endpoint's TLS identity: a self-signed certificate, as MariaDB 11.4 generates for itself.
 * Clients that verify it without a CA (MariaDB Connector/J 4, MariaDB 11.4+ clients) check its
 * fingerprint through the password: the OK packet after authentication carries
 * SHA-256(password hash, nonce, fingerprint), which only a server that knows the password can
 * compute.
 */
public final class ServerTls {
    private static final Duration VALIDITY = Duration.ofDays(3650);

    private final PrivateKey key;
    private final X509Certificate certificate;
    private final SslContext context;
    private final byte[] fingerprint;

    private ServerTls(PrivateKey key, X509Certificate certificate) {
        this.key = requireNonNull(key, "key is null");
        this.certificate = requireNonNull(certificate, "certificate is null");
        try {
            this.context = SslContextBuilder.forServer(key, certificate).build();
            this.fingerprint = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
        } catch (SSLException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot use the SQL endpoint's TLS certificate: " + e.getMessage(), e);
        }
    }

    /** A new certificate kept in memory only (tests, one-off servers). */
    public static ServerTls generate(String commonName) {
        IssuedCertificate generated = CertificateAuthority.selfSigned(commonName, VALIDITY);
        return new ServerTls(generated.key(), generated.certificate());
    }

    /**
     * The certificate kept in {@code dir} ({@code key.pem}, mode 0600, and {@code cert.pem}),
     * generated there on first use.
     */
    public static ServerTls loadOrGenerate(Path dir, String commonName) {
        Path keyFile = dir.resolve("key.pem");
        Path certFile = dir.resolve("cert.pem");
        try {
            if (Files.exists(keyFile) && Files.exists(certFile)) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(keyFile);
                if (!permissions.equals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))) {
                    throw new IllegalStateException("%s is readable by others (%s); run `chmod 600 %s`"
                            .formatted(keyFile, PosixFilePermissions.toString(permissions), keyFile));
                }
                return new ServerTls(readKey(keyFile, certFile), readCertificate(certFile));
            }
            IssuedCertificate generated = CertificateAuthority.selfSigned(commonName, VALIDITY);
            Files.createDirectories(dir);
            LocalExecutor.writeAtomically(keyFile, generated.keyPem(), "0600");
            LocalExecutor.writeAtomically(certFile, generated.certificatePem(), "0644");
            return new ServerTls(generated.key(), generated.certificate());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the SQL endpoint's TLS certificate in " + dir, e);
        }
    }

    SslContext context() {
        return context;
    }

    /** SHA-256 of the certificate, as clients compute it. */
    public byte[] fingerprint() {
        return fingerprint.clone();
    }

    public X509Certificate certificate() {
        return certificate;
    }

    private static PrivateKey readKey(Path file, Path certFile) throws IOException {
        String text = Files.readString(file);
        String why;
        if (text.contains("-----BEGIN EC PRIVATE KEY-----")) {
            // Earlier versions wrote an EC key without its curve: it cannot be used.
            why = "an EC key in the SEC1 form, without its curve";
        } else {
            try {
                return Pem.privateKey(text, file.toString());
            } catch (IllegalArgumentException e) {
                why = e.getMessage();
            }
        }
        throw new IOException("%s cannot be read (%s); remove it and %s to have a new certificate generated"
                .formatted(file, why, certFile));
    }

    private static X509Certificate readCertificate(Path file) throws IOException {
        try {
            return Pem.certificates(Files.readString(file), file.toString()).getFirst();
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
