package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM text of certificates and PKCS#8 EC private keys, with the JDK alone: the agent reads its key
 * and certificate with it, and its Java runtime carries no other crypto library.
 */
public final class Pem {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final String CERTIFICATE = "CERTIFICATE";
    private static final String PRIVATE_KEY = "PRIVATE KEY";

    private Pem() {}

    /** A certificate as {@code -----BEGIN CERTIFICATE-----} text. */
    public static String certificate(X509Certificate certificate) {
        requireNonNull(certificate, "certificate is null");
        try {
            return block(CERTIFICATE, certificate.getEncoded());
        } catch (CertificateException e) {
            throw new IllegalArgumentException("cannot encode a certificate: " + e.getMessage(), e);
        }
    }

    /**
     * A private key as PKCS#8 {@code -----BEGIN PRIVATE KEY-----} text. The SEC1 form ({@code EC PRIVATE
     * KEY}) is not written: without the curve and the public key it cannot be read back by the JDK.
     */
    public static String privateKey(PrivateKey key) {
        requireNonNull(key, "key is null");
        return block(PRIVATE_KEY, key.getEncoded());
    }

    /**
     * The certificates of {@code text}, in order; {@code source} names where it came from in errors.
     *
     * @throws IllegalArgumentException when the text holds none, or one that cannot be read
     */
    public static List<X509Certificate> certificates(String text, String source) {
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks(text, CERTIFICATE, source)) {
                certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException(
                    "%s holds a certificate that cannot be read: %s".formatted(source, firstLine(e.getMessage())));
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(
                    "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)".formatted(source));
        }
        return List.copyOf(certificates);
    }

    /**
     * The one PKCS#8 EC private key of {@code text}; {@code source} names where it came from in errors.
     *
     * @throws IllegalArgumentException when the text holds no such key
     */
    public static PrivateKey privateKey(String text, String source) {
        if (text.contains("-----BEGIN EC PRIVATE KEY-----")) {
            throw new IllegalArgumentException(
                    "%s holds an EC key in the SEC1 form (BEGIN EC PRIVATE KEY), which does not say its curve; convert it with `openssl pkcs8 -topk8 -nocrypt` or have a new one made"
                            .formatted(source));
        }
        List<byte[]> keys = blocks(text, PRIVATE_KEY, source);
        if (keys.size() != 1) {
            throw new IllegalArgumentException(
                    "%s holds %d PKCS#8 private keys (-----BEGIN PRIVATE KEY-----); it must hold exactly one"
                            .formatted(source, keys.size()));
        }
        try {
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(keys.getFirst()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("%s holds a private key that is not a readable EC key: %s"
                    .formatted(source, firstLine(e.getMessage())));
        }
    }

    private static List<byte[]> blocks(String text, String type, String source) {
        requireNonNull(text, "text is null");
        List<byte[]> blocks = new ArrayList<>();
        Matcher matcher = BLOCK.matcher(text);
        while (matcher.find()) {
            if (matcher.group(1).equals(type)) {
                try {
                    blocks.add(Base64.getMimeDecoder().decode(matcher.group(2)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            "%s holds a damaged %s block: %s".formatted(source, type, e.getMessage()));
                }
            }
        }
        return blocks;
    }

    private static String block(String type, byte[] der) {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        return "-----BEGIN %s-----\n%s\n-----END %s-----\n".formatted(type, base64, type);
    }

    private static String firstLine(String message) {
        String text = String.valueOf(message);
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
