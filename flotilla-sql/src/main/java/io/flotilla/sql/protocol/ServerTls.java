package io.flotilla.sql.protocol;

import static java.util.Objects.requireNonNull;

import io.flotilla.exec.LocalExecutor;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Set;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

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
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=" + commonName);
            X509CertificateHolder holder = new JcaX509v3CertificateBuilder(
                            name,
                            new BigInteger(64, new SecureRandom()),
                            Date.from(now.minus(Duration.ofDays(1))),
                            Date.from(now.plus(VALIDITY)),
                            name,
                            pair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
            return new ServerTls(pair.getPrivate(), new JcaX509CertificateConverter().getCertificate(holder));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot generate a TLS certificate: " + e.getMessage(), e);
        }
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
                return new ServerTls(readKey(keyFile), readCertificate(certFile));
            }
            ServerTls generated = generate(commonName);
            Files.createDirectories(dir);
            LocalExecutor.writeAtomically(keyFile, pkcs8(generated.key), "0600");
            LocalExecutor.writeAtomically(certFile, pem(generated.certificate), "0644");
            return generated;
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

    private static byte[] pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    // PKCS#8 ("PRIVATE KEY") as the JDK encodes it keeps the curve; the SEC1 form ("EC PRIVATE KEY")
    // JcaPEMWriter makes of it holds neither the curve nor the public key, and cannot be read back.
    private static byte[] pkcs8(PrivateKey key) {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded());
        return "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n"
                .formatted(base64)
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static PrivateKey readKey(Path file) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(Files.readString(file)))) {
            Object parsed = parser.readObject();
            if (parsed instanceof PrivateKeyInfo info) {
                return new JcaPEMKeyConverter().getPrivateKey(info);
            }
            if (parsed instanceof org.bouncycastle.openssl.PEMKeyPair pair) {
                try {
                    return new JcaPEMKeyConverter().getKeyPair(pair).getPrivate();
                } catch (org.bouncycastle.openssl.PEMException e) {
                    // Earlier versions wrote an EC key without its curve: it cannot be used.
                    throw new IOException(
                            "%s cannot be read (%s); remove it and %s to have a new certificate generated"
                                    .formatted(file, e.getMessage(), file.resolveSibling("cert.pem")),
                            e);
                }
            }
            throw new IOException("%s holds no private key".formatted(file));
        }
    }

    private static X509Certificate readCertificate(Path file) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(Files.readString(file)))) {
            if (parser.readObject() instanceof X509CertificateHolder holder) {
                return new JcaX509CertificateConverter().getCertificate(holder);
            }
            throw new IOException("%s holds no certificate".formatted(file));
        } catch (java.security.cert.CertificateException e) {
            throw new IOException("%s holds a bad certificate: %s".formatted(file, e.getMessage()), e);
        }
    }
}
