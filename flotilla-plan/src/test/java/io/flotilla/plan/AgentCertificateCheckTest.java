package io.flotilla.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.AgentTls;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.tls.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The row `cluster check` gives a host's agent certificate, read from the host as it is. */
class AgentCertificateCheckTest {
    @TempDir
    Path agentDir;

    private final LocalExecutor executor = new LocalExecutor("127.0.0.1");

    private CheckResult checkWith(Duration validity) throws Exception {
        Path file = agentDir.resolve(AgentTls.CERTIFICATE_FILE);
        Files.createDirectories(file.getParent());
        Files.write(file, CertificateAuthority.selfSigned("127.0.0.1", validity).certificatePem());
        return AgentCertificateCheck.check(executor, agentDir, "c1", Instant.now());
    }

    @Test
    void aCertificateFarFromItsEndPasses() throws Exception {
        CheckResult row = checkWith(Duration.ofDays(700));
        assertThat(row.verdict()).isEqualTo(CheckResult.Verdict.PASS);
        assertThat(row.detail()).startsWith("valid until ");
    }

    @Test
    void oneWithinTwoMonthsOfItsEndWarnsWithWhatToRun() throws Exception {
        CheckResult row = checkWith(Duration.ofDays(20).plusHours(1));
        assertThat(row.verdict()).isEqualTo(CheckResult.Verdict.WARN);
        assertThat(row.detail())
                .matches("the agent's certificate ends on \\d{4}-\\d\\d-\\d\\d, in 20 days; run `flotilla cluster tls"
                        + " rotate c1`");
    }

    @Test
    void anEndedOneFails() throws Exception {
        CheckResult row = checkWith(Duration.ofHours(-1));
        assertThat(row.verdict()).isEqualTo(CheckResult.Verdict.FAIL);
        assertThat(row.detail()).contains("Flotilla cannot reach the agent; run `flotilla cluster tls rotate c1`");
    }

    @Test
    void aMissingOrDamagedFileSaysWhatItIs() throws Exception {
        CheckResult missing = AgentCertificateCheck.check(executor, agentDir, "c1", Instant.now());
        assertThat(missing.verdict()).isEqualTo(CheckResult.Verdict.WARN);
        assertThat(missing.detail()).contains("cannot be read").contains("an agent from before TLS");
        Path file = agentDir.resolve(AgentTls.CERTIFICATE_FILE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "not a certificate\n");
        CheckResult damaged = AgentCertificateCheck.check(executor, agentDir, "c1", Instant.now());
        assertThat(damaged.verdict()).isEqualTo(CheckResult.Verdict.FAIL);
        assertThat(damaged.detail()).startsWith(file + " holds no certificate: ");
    }
}
