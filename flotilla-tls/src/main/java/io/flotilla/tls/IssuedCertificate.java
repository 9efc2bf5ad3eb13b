package io.flotilla.tls;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.Pem;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** A private key and the certificate issued for it. {@link #toString()} hides the key. */
public record IssuedCertificate(PrivateKey key, X509Certificate certificate) {
    public IssuedCertificate {
        requireNonNull(key, "key is null");
        requireNonNull(certificate, "certificate is null");
    }

    /** The key as PKCS#8 PEM: a secret, to be written with mode 0600 from the first byte. */
    public byte[] keyPem() {
        return Pem.privateKey(key).getBytes(StandardCharsets.US_ASCII);
    }

    public byte[] certificatePem() {
        return Pem.certificate(certificate).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return "IssuedCertificate[" + certificate.getSubjectX500Principal() + "]";
    }
}
