package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS between the control machine and the agents: the agent shows a certificate its cluster's CA
 * issued for its host, and clients trust that CA alone (never the JDK's cacerts), so that a process
 * that is not the cluster's agent is refused before the token is sent. TLS 1.3 only; the client is
 * authenticated by its bearer token, not by a certificate.
 */
public final class AgentTls {
    /** The agent's private key, PKCS#8 PEM, mode 0600, relative to its folder. */
    public static final String KEY_FILE = "tls/agent.key";
    /** The agent's certificate, issued by its cluster's CA, PEM, relative to its folder. */
    public static final String CERTIFICATE_FILE = "tls/agent.crt";

    private static final String PROTOCOL = "TLSv1.3";
    private static final char[] NO_PASSWORD = new char[0];

    private AgentTls() {}

    /** The agent's side: it shows {@code certificate} and proves it holds {@code key}. */
    public static SSLContext server(PrivateKey key, X509Certificate certificate) {
        requireNonNull(key, "key is null");
        requireNonNull(certificate, "certificate is null");
        try {
            KeyStore store = emptyStore();
            store.setKeyEntry("agent", key, NO_PASSWORD, new Certificate[] {certificate});
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, NO_PASSWORD);
            SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(keys.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the agent's key and certificate: " + e.getMessage(), e);
        }
    }

    /**
     * A client's side: it trusts the certificates {@code authorities} issued and nothing else. The
     * host name check is the HTTP client's (java.net.http checks the address it connects to against the
     * certificate's subject alternative names).
     */
    public static SSLContext pinned(Collection<X509Certificate> authorities) {
        if (authorities.isEmpty()) {
            throw new IllegalArgumentException("no CA to trust");
        }
        try {
            KeyStore store = emptyStore();
            int i = 0;
            for (X509Certificate authority : authorities) {
                store.setCertificateEntry("ca-" + i++, authority);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance("PKIX");
            trust.init(store);
            SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(null, trust.getTrustManagers(), new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot trust the cluster's CA: " + e.getMessage(), e);
        }
    }

    /**
     * What both sides allow: TLS 1.3 only. A client also checks that the certificate names the host
     * it connects to, set here so that no JVM-wide property can turn the check off.
     */
    public static SSLParameters parameters(SSLContext context) {
        SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(new String[] {PROTOCOL});
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        return parameters;
    }

    /** Whether {@code key} is the private half of {@code certificate}'s public key. */
    public static boolean matches(PrivateKey key, X509Certificate certificate) {
        try {
            byte[] challenge = "flotilla-agent-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Whether {@code authority}'s key signed {@code certificate}. */
    public static boolean issuedBy(X509Certificate certificate, X509Certificate authority) {
        try {
            certificate.verify(authority.getPublicKey());
            return certificate.getIssuerX500Principal().equals(authority.getSubjectX500Principal());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The PEM of each certificate, one after another (a CA bundle a person can pass to {@code curl --cacert}). */
    public static String bundle(List<X509Certificate> certificates) {
        StringBuilder text = new StringBuilder();
        certificates.forEach(certificate -> text.append(Pem.certificate(certificate)));
        return text.toString();
    }

    private static KeyStore emptyStore() throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException("cannot make an empty key store", e);
        }
        return store;
    }
}
