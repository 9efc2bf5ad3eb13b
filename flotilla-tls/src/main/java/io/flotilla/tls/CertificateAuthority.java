package io.flotilla.tls;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.Pem;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
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
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's certificate authority: made by the cluster's first deploy (or by {@code cluster tls
 * rotate}), kept on the control machine only, it issues each agent's certificate for the host the
 * topology names. ECDSA P-256 keys, SHA256withECDSA signatures.
 */
public record CertificateAuthority(IssuedCertificate identity) {
    /** How long a cluster's CA is valid: 10 years. */
    public static final Duration VALIDITY = Duration.ofDays(3650);
    /** How long an agent's certificate is valid: 2 years; {@code cluster tls rotate} issues new ones. */
    public static final Duration AGENT_VALIDITY = Duration.ofDays(730);
    /** Clocks of the hosts may be behind the control machine's. */
    private static final Duration CLOCK_SKEW = Duration.ofHours(1);

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final SecureRandom RANDOM = new SecureRandom();

    public CertificateAuthority {
        requireNonNull(identity, "identity is null");
        if (identity.certificate().getBasicConstraints() < 0) {
            throw new IllegalArgumentException("%s is not a CA certificate"
                    .formatted(identity.certificate().getSubjectX500Principal()));
        }
        if (!AgentTls.matches(identity.key(), identity.certificate())) {
            throw new IllegalArgumentException("the CA's key is not the key of its certificate");
        }
    }

    /** A new CA for the cluster {@code cluster}. */
    public static CertificateAuthority create(String cluster) {
        requireNonNull(cluster, "cluster is null");
        KeyPair pair = newKeyPair();
        X500Name name = name("Flotilla cluster " + cluster + " CA");
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            name,
                            serial(),
                            Date.from(now.minus(CLOCK_SKEW)),
                            Date.from(now.plus(VALIDITY)),
                            name,
                            pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectKeyIdentifier,
                            false,
                            extensions.createSubjectKeyIdentifier(pair.getPublic()));
            return new CertificateAuthority(new IssuedCertificate(pair.getPrivate(), sign(builder, pair.getPrivate())));
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a CA for cluster '%s': %s".formatted(cluster, e), e);
        }
    }

    /**
     * A certificate for the agent on {@code host}, as the topology names it: an IP address gets an IP
     * subject alternative name, a host name a DNS one; a loopback host also gets 127.0.0.1 and localhost.
     */
    public IssuedCertificate issue(String host) {
        requireNonNull(host, "host is null");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host is empty");
        }
        KeyPair pair = newKeyPair();
        Instant now = Instant.now();
        Instant notAfter = now.plus(AGENT_VALIDITY);
        if (notAfter.isAfter(certificate().getNotAfter().toInstant())) {
            notAfter = certificate().getNotAfter().toInstant();
        }
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            certificate(),
                            serial(),
                            Date.from(now.minus(CLOCK_SKEW)),
                            Date.from(notAfter),
                            name("Flotilla agent " + host),
                            pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(
                            Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, subjectNames(host))
                    .addExtension(
                            Extension.subjectKeyIdentifier,
                            false,
                            extensions.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(
                            Extension.authorityKeyIdentifier,
                            false,
                            extensions.createAuthorityKeyIdentifier(certificate()));
            return new IssuedCertificate(pair.getPrivate(), sign(builder, key()));
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate for %s: %s".formatted(host, e), e);
        }
    }

    /**
     * Whether {@code key} and {@code certificate} are what this CA issued for {@code host} and still
     * good for a month: then a deploy leaves them as they are.
     */
    public boolean issuedFor(String host, PrivateKey key, X509Certificate certificate) {
        return issuedFor(host, certificate) && AgentTls.matches(key, certificate);
    }

    /** {@link #issuedFor(String, PrivateKey, X509Certificate)} without the key, which stays on its host. */
    public boolean issuedFor(String host, X509Certificate certificate) {
        try {
            certificate.checkValidity(Date.from(Instant.now().plus(Duration.ofDays(30))));
        } catch (GeneralSecurityException e) {
            return false;
        }
        return AgentTls.issuedBy(certificate, certificate()) && namesHost(certificate, host);
    }

    /** A self-signed certificate for a server that clients pin by its fingerprint (the SQL endpoint). */
    public static IssuedCertificate selfSigned(String commonName, Duration validity) {
        KeyPair pair = newKeyPair();
        Instant now = Instant.now();
        X500Name name = name(commonName);
        try {
            return new IssuedCertificate(
                    pair.getPrivate(),
                    sign(
                            new JcaX509v3CertificateBuilder(
                                    name,
                                    serial(),
                                    Date.from(now.minus(Duration.ofDays(1))),
                                    Date.from(now.plus(validity)),
                                    name,
                                    pair.getPublic()),
                            pair.getPrivate()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS certificate: " + e.getMessage(), e);
        }
    }

    public PrivateKey key() {
        return identity.key();
    }

    public X509Certificate certificate() {
        return identity.certificate();
    }

    /** A short name of this CA (the start of its certificate's SHA-256), to tell one rotation from the next. */
    public String id() {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(certificate().getEncoded()))
                    .substring(0, 12);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot hash the CA's certificate: " + e.getMessage(), e);
        }
    }

    /** The CA's certificate as PEM, which clients trust. */
    public byte[] certificatePem() {
        return Pem.certificate(certificate()).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return "CertificateAuthority[" + certificate().getSubjectX500Principal() + "]";
    }

    static GeneralNames subjectNames(String host) {
        List<GeneralName> names = new ArrayList<>();
        boolean ip = IPV4.matcher(host).matches() || host.contains(":");
        names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
        if (loopback(host, ip)) {
            if (!host.equals("127.0.0.1")) {
                names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
            }
            if (!host.equals("localhost")) {
                names.add(new GeneralName(GeneralName.dNSName, "localhost"));
            }
        }
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }

    private static boolean loopback(String host, boolean ip) {
        if (!ip) {
            return host.equalsIgnoreCase("localhost");
        }
        try {
            // An address literal: no name is looked up.
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host %s is not a valid IP address".formatted(host), e);
        }
    }

    private static boolean namesHost(X509Certificate certificate, String host) {
        try {
            var names = certificate.getSubjectAlternativeNames();
            if (names == null) {
                return false;
            }
            boolean ip = IPV4.matcher(host).matches() || host.contains(":");
            for (List<?> name : names) {
                int type = (Integer) name.get(0);
                String value = String.valueOf(name.get(1));
                if (ip && type == GeneralName.iPAddress && sameAddress(value, host)) {
                    return true;
                }
                if (!ip && type == GeneralName.dNSName && value.equalsIgnoreCase(host)) {
                    return true;
                }
            }
            return false;
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    private static boolean sameAddress(String left, String right) {
        try {
            return InetAddress.getByName(left).equals(InetAddress.getByName(right));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign: " + e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make an EC P-256 key: " + e.getMessage(), e);
        }
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, commonName)
                .build();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }
}
