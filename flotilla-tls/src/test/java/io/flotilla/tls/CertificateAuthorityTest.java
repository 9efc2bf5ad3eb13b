package io.flotilla.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.Pem;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {
    private static final CertificateAuthority CA = CertificateAuthority.create("c1");

    @Test
    void anIpAddressGetsAnIpNameAndAHostNameADnsName() throws Exception {
        assertThat(names(CA.issue("10.0.0.7").certificate())).containsExactly(List.of(7, "10.0.0.7"));
        assertThat(names(CA.issue("db1.example.net").certificate())).containsExactly(List.of(2, "db1.example.net"));
    }

    @Test
    void aLoopbackHostAlsoGetsTheLoopbackNames() throws Exception {
        assertThat(names(CA.issue("127.0.0.1").certificate()))
                .containsExactly(List.of(7, "127.0.0.1"), List.of(2, "localhost"));
        assertThat(names(CA.issue("localhost").certificate()))
                .containsExactly(List.of(2, "localhost"), List.of(7, "127.0.0.1"));
    }

    @Test
    void anAgentCertificateIsGoodForTwoYearsAndTheCaForTen() {
        X509Certificate agent = CA.issue("10.0.0.7").certificate();
        assertThat(days(agent))
                .isEqualTo(Duration.ofHours(1)
                        .plus(CertificateAuthority.AGENT_VALIDITY)
                        .toDays());
        assertThat(days(CA.certificate())).isEqualTo(CertificateAuthority.VALIDITY.toDays());
        assertThat(agent.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        assertThat(CA.certificate().getBasicConstraints()).isZero();
    }

    @Test
    void whatItIssuedForAHostIsKeptAndAnythingElseIsNot() {
        IssuedCertificate issued = CA.issue("10.0.0.7");
        IssuedCertificate other = CA.issue("10.0.0.7");
        IssuedCertificate foreign = CertificateAuthority.create("c2").issue("10.0.0.7");

        assertThat(CA.issuedFor("10.0.0.7", issued.key(), issued.certificate())).isTrue();
        assertThat(CA.issuedFor("10.0.0.8", issued.key(), issued.certificate()))
                .as("another host")
                .isFalse();
        assertThat(CA.issuedFor("10.0.0.7", other.key(), issued.certificate()))
                .as("another key")
                .isFalse();
        assertThat(CA.issuedFor("10.0.0.7", foreign.key(), foreign.certificate()))
                .as("another CA")
                .isFalse();
    }

    @Test
    void itsPemIsReadBackByTheJdkAlone() {
        IssuedCertificate issued = CA.issue("10.0.0.7");
        String key = new String(issued.keyPem(), StandardCharsets.US_ASCII);
        String certificate = new String(issued.certificatePem(), StandardCharsets.US_ASCII);

        assertThat(key).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(AgentTls.matches(
                        Pem.privateKey(key, "key"),
                        Pem.certificates(certificate, "crt").getFirst()))
                .isTrue();
        assertThat(AgentTls.issuedBy(Pem.certificates(certificate, "crt").getFirst(), CA.certificate()))
                .isTrue();
    }

    private static List<List<?>> names(X509Certificate certificate) throws Exception {
        return List.copyOf(certificate.getSubjectAlternativeNames());
    }

    private static long days(X509Certificate certificate) {
        return Duration.between(
                        certificate.getNotBefore().toInstant(),
                        certificate.getNotAfter().toInstant())
                .toDays();
    }
}
