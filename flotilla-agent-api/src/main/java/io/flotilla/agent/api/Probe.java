package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A readiness check the agent runs on its own host. Probes compose: {@link AllOf} is ready when
 * every member is, and reports the first that is not. On the wire a probe is a JSON object whose
 * {@code type} names the kind ({@code "portOpen"}, {@code "allOf"}, ...).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Probe.PortOpen.class, name = "portOpen"),
    @JsonSubTypes.Type(value = Probe.HttpOk.class, name = "httpOk"),
    @JsonSubTypes.Type(value = Probe.SqlPing.class, name = "sqlPing"),
    @JsonSubTypes.Type(value = Probe.ReplicaRunning.class, name = "replicaRunning"),
    @JsonSubTypes.Type(value = Probe.HaproxyBackendsUp.class, name = "haproxyBackendsUp"),
    @JsonSubTypes.Type(value = Probe.LogLine.class, name = "logLine"),
    @JsonSubTypes.Type(value = Probe.AllOf.class, name = "allOf")
})
public sealed interface Probe {
    /** A TCP connect to {@code host:port} succeeds. */
    record PortOpen(String host, int port) implements Probe {
        public PortOpen {
            requireNonNull(host, "host is null");
            checkPort(port);
        }
    }

    /** An HTTP GET answers {@code 200}; {@code bodyContains} (when not empty) must appear in the body. */
    record HttpOk(String url, String bodyContains) implements Probe {
        public HttpOk {
            requireNonNull(url, "url is null");
            requireNonNull(bodyContains, "bodyContains is null");
        }
    }

    /**
     * {@code SELECT 1} succeeds over a MySQL connection. The password is read from
     * {@code passwordFile} (mode 0600) when the probe runs, so it never travels in a spec.
     */
    record SqlPing(String host, int port, String user, String passwordFile) implements Probe {
        public SqlPing {
            requireNonNull(host, "host is null");
            checkPort(port);
            requireNonNull(user, "user is null");
            requireNonNull(passwordFile, "passwordFile is null");
        }
    }

    /** A MariaDB replica whose IO and SQL threads both run. */
    record ReplicaRunning(String host, int port, String user, String passwordFile) implements Probe {
        public ReplicaRunning {
            requireNonNull(host, "host is null");
            checkPort(port);
            requireNonNull(user, "user is null");
            requireNonNull(passwordFile, "passwordFile is null");
        }
    }

    /** Every server of the named HAProxy backends is UP, read from its admin socket. */
    record HaproxyBackendsUp(String socketPath, List<String> backends) implements Probe {
        public HaproxyBackendsUp {
            requireNonNull(socketPath, "socketPath is null");
            backends = List.copyOf(requireNonNull(backends, "backends is null"));
        }
    }

    /** A line matching {@code regex} appears in {@code file}. */
    record LogLine(String file, String regex) implements Probe {
        public LogLine {
            requireNonNull(file, "file is null");
            requireNonNull(regex, "regex is null");
            // Fails a bad spec when it is stored rather than each time the probe runs.
            Pattern.compile(regex);
        }
    }

    /** Every probe is ready. */
    record AllOf(List<Probe> probes) implements Probe {
        public AllOf {
            probes = List.copyOf(requireNonNull(probes, "probes is null"));
        }
    }

    static Probe allOf(Probe... probes) {
        return new AllOf(List.of(probes));
    }

    /** How long a single attempt of any probe may take. */
    Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port %d is outside 1..65535".formatted(port));
        }
    }
}
