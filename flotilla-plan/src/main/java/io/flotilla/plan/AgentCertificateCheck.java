package io.flotilla.plan;

import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.Pem;
import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * {@code cluster check}'s row for a host's agent certificate: a Warn within {@value #WARN_DAYS} days
 * of its end, a Fail once it ended (the control machine no longer trusts the agent). {@code cluster
 * tls rotate} renews every agent's.
 */
public final class AgentCertificateCheck {
    public static final String CHECK = "agent certificate";
    static final long WARN_DAYS = 60;
    private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

    private AgentCertificateCheck() {}

    public static CheckResult check(Executor executor, Path agentDir, String cluster, Instant now) {
        String host = executor.host();
        Path file = agentDir.resolve(AgentTls.CERTIFICATE_FILE);
        String renew = "run `flotilla cluster tls rotate %s`".formatted(cluster);
        CommandResult read = executor.run(List.of("cat", "--", file.toString()), Duration.ofSeconds(30));
        if (!read.succeeded()) {
            return CheckResult.warn(
                    host,
                    CHECK,
                    "%s cannot be read (%s): an agent from before TLS, or a damaged one; %s"
                            .formatted(file, Executor.lastLines(read.stderr().strip(), 1), renew));
        }
        X509Certificate certificate;
        try {
            certificate = Pem.certificates(read.stdout(), file.toString()).getFirst();
        } catch (IllegalArgumentException e) {
            return CheckResult.fail(
                    host, CHECK, "%s holds no certificate: %s; %s".formatted(file, e.getMessage(), renew));
        }
        Instant end = certificate.getNotAfter().toInstant();
        long days = Duration.between(now, end).toDays();
        if (!end.isAfter(now)) {
            return CheckResult.fail(
                    host,
                    CHECK,
                    "the agent's certificate ended on %s: Flotilla cannot reach the agent; %s"
                            .formatted(DAY.format(end), renew));
        }
        if (days < WARN_DAYS) {
            return CheckResult.warn(
                    host,
                    CHECK,
                    "the agent's certificate ends on %s, in %d day%s; %s"
                            .formatted(DAY.format(end), days, days == 1 ? "" : "s", renew));
        }
        return CheckResult.pass(host, CHECK, "valid until %s".formatted(DAY.format(end)));
    }
}
