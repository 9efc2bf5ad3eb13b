package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentException.Code;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Calls one agent's HTTP API for the control process, over TLS that trusts the agent's cluster CA
 * alone ({@link AgentTls}). Every failure is an {@link AgentException}
 * whose message names the agent's address and what to do.
 */
public final class AgentClient implements AutoCloseable {
    // A stop waits for the process: up to the spec's stop timeout (at most 600 s), then SIGKILL.
    private static final Duration STOP_ALLOWANCE = Duration.ofSeconds(630);

    private final URI base;
    private final String address;
    private final String token;
    private final Duration connectTimeout;
    private final Duration timeout;
    private final ExecutorService executor;
    private final HttpClient http;
    private final JsonMapper json;

    /**
     * @param base the agent's address, {@code https://127.0.0.1:9760}
     * @param tls trusts the agent's cluster CA alone ({@link AgentTls#pinned})
     * @param timeout bounds connecting and each request; requests that stop a process get that
     *     process's stop timeout on top
     */
    public AgentClient(URI base, String token, SSLContext tls, Duration timeout) {
        this(base, token, tls, timeout, timeout);
    }

    /**
     * @param connectTimeout bounds connecting: shorter than {@code timeout} when an unreachable
     *     host must be told apart quickly from an agent that is slow to answer
     */
    public AgentClient(URI base, String token, SSLContext tls, Duration connectTimeout, Duration timeout) {
        this(base, token, connectTimeout, timeout, null, requireNonNull(tls, "tls is null"));
    }

    /**
     * A client that sends through {@code http}, shared with the clients of other agents of the same
     * cluster: one connection pool and one selector thread for all of them. Closing this client leaves
     * {@code http} open; {@link #sharedHttp} builds one.
     */
    public AgentClient(URI base, String token, Duration timeout, HttpClient http) {
        this(
                base,
                token,
                http.connectTimeout().orElse(timeout),
                timeout,
                requireNonNull(http, "http is null"),
                http.sslContext());
    }

    private AgentClient(
            URI base, String token, Duration connectTimeout, Duration timeout, HttpClient shared, SSLContext tls) {
        requireNonNull(base, "base is null");
        if (!"https".equals(base.getScheme())) {
            throw new IllegalArgumentException(
                    "agent address %s is not https://: the token never goes to an agent in clear".formatted(base));
        }
        this.base = base.getPath().endsWith("/") ? base : URI.create(base + "/");
        this.address = base.getAuthority();
        this.token = requireNonNull(token, "token is null");
        this.connectTimeout = requireNonNull(connectTimeout, "connectTimeout is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        if (shared == null) {
            this.executor = Executors.newThreadPerTaskExecutor(
                    Thread.ofVirtual().name("agent-client-", 0).factory());
            this.http = builder(connectTimeout, tls).executor(executor).build();
        } else {
            this.executor = null;
            this.http = shared;
        }
        this.json = AgentJson.lenient();
    }

    /**
     * An HTTP client for {@link #AgentClient(URI, String, Duration, HttpClient)}, for the agents of one
     * cluster: HTTP/1.1 (what the agent speaks) over TLS trusting {@code tls} alone, connecting within
     * {@code connectTimeout}, its work on virtual threads. The caller closes it.
     */
    public static HttpClient sharedHttp(Duration connectTimeout, SSLContext tls) {
        return builder(requireNonNull(connectTimeout, "connectTimeout is null"), requireNonNull(tls, "tls is null"))
                .executor(Executors.newThreadPerTaskExecutor(
                        Thread.ofVirtual().name("agent-client-", 0).factory()))
                .build();
    }

    private static HttpClient.Builder builder(Duration connectTimeout, SSLContext tls) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                // Straight to the agent: no proxy the JVM or the system names.
                .proxy(HttpClient.Builder.NO_PROXY)
                .sslContext(tls)
                .sslParameters(AgentTls.parameters(tls));
    }

    public AgentInfo info() {
        return call("GET", "v1/agent", null, timeout, type(AgentInfo.class));
    }

    public List<InstanceStatus> instances() {
        return call("GET", "v1/instances", null, timeout, listOf(InstanceStatus.class));
    }

    /** Stores the spec on the agent, replacing an earlier one; a running instance keeps running. */
    public InstanceStatus put(InstanceSpec spec) {
        requireNonNull(spec, "spec is null");
        return call("PUT", instancePath(spec.id()), json.writeValueAsBytes(spec), timeout, type(InstanceStatus.class));
    }

    /** Stops the instance if it runs and makes the agent forget it. */
    public void remove(String id) {
        call("DELETE", instancePath(id), null, timeout.plus(STOP_ALLOWANCE), null);
    }

    /**
     * Gives the agent a replication group's failover settings; it keeps them and runs a member for
     * each of the group's instances it supervises. Unchanged settings change nothing.
     */
    public List<HaMemberStatus> putHaGroup(HaGroupSpec spec) {
        requireNonNull(spec, "spec is null");
        return call(
                "PUT",
                "v1/ha/groups/" + spec.group(),
                json.writeValueAsBytes(spec),
                timeout,
                listOf(HaMemberStatus.class));
    }

    /** Where the members of the agent's replication groups stand. */
    public List<HaMemberStatus> haMembers() {
        return call("GET", "v1/ha/groups", null, timeout, listOf(HaMemberStatus.class));
    }

    /** Stops the group's members here, handing a held lead over, and makes the agent forget the group. */
    public void removeHaGroup(String group) {
        requireNonNull(group, "group is null");
        HaGroupSpec.requireGroup(group);
        call("DELETE", "v1/ha/groups/" + group, null, timeout, null);
    }

    public InstanceStatus start(String id) {
        return lifecycle(id, "start", timeout);
    }

    public InstanceStatus stop(String id) {
        return lifecycle(id, "stop", timeout.plus(STOP_ALLOWANCE));
    }

    public InstanceStatus restart(String id) {
        return lifecycle(id, "restart", timeout.plus(STOP_ALLOWANCE));
    }

    private InstanceStatus lifecycle(String id, String action, Duration requestTimeout) {
        return call("POST", instancePath(id) + "/" + action, new byte[0], requestTimeout, type(InstanceStatus.class));
    }

    public InstanceStatus status(String id) {
        return call("GET", instancePath(id), null, timeout, type(InstanceStatus.class));
    }

    /** Runs the instance's probe on the agent now. */
    public ProbeResult ready(String id) {
        return call(
                "GET", instancePath(id) + "/ready", null, timeout.plus(Probe.ATTEMPT_TIMEOUT), type(ProbeResult.class));
    }

    /** Runs a probe on the agent's host now: a check that only makes sense from there (a loopback port, a unix socket). */
    public ProbeResult probe(Probe probe) {
        return call(
                "POST",
                "v1/probe",
                json.writeValueAsBytes(probe),
                timeout.plus(Probe.ATTEMPT_TIMEOUT),
                type(ProbeResult.class));
    }

    public DiagnosisReport diagnosis(String id, int lines) {
        return call("GET", instancePath(id) + "/diagnosis?lines=" + lines, null, timeout, type(DiagnosisReport.class));
    }

    /** The host's load from the agent's last sample (CPU, memory, network and disk rates). */
    public List<HostItem> load() {
        return call("GET", "v1/host/load", null, timeout, listOf(HostItem.class));
    }

    /** The host's CPU, memory, disks, filesystems and network interfaces. */
    public List<HostItem> hardware() {
        return call("GET", "v1/host/hardware", null, timeout, listOf(HostItem.class));
    }

    /** The host's kernel parameters and the agent's process limits. */
    public List<HostItem> systemInfo() {
        return call("GET", "v1/host/system", null, timeout, listOf(HostItem.class));
    }

    /** Log entries of the agent's instances, in time order. */
    public List<LogEntry> logs(LogQuery query) {
        requireNonNull(query, "query is null");
        return call("POST", "v1/logs", json.writeValueAsBytes(query), timeout, listOf(LogEntry.class));
    }

    /** The instance's effective settings. */
    public List<ConfigItem> config(String id) {
        return call("GET", instancePath(id) + "/config", null, timeout, listOf(ConfigItem.class));
    }

    /**
     * Changes one setting of the instance, live where it can, and persisted.
     *
     * @throws AgentException with {@link Code#REFUSED} when the instance refuses the change
     */
    public ConfigResult setConfig(String id, String key, String value) {
        return call(
                "POST",
                instancePath(id) + "/config",
                json.writeValueAsBytes(new ConfigItem(key, value)),
                timeout,
                type(ConfigResult.class));
    }

    /** The instance's version, start time and server id. */
    public InstanceDetails details(String id) {
        return call("GET", instancePath(id) + "/details", null, timeout, type(InstanceDetails.class));
    }

    /** The sessions of a SQL instance. */
    public List<Session> sessions(String id) {
        return call("GET", instancePath(id) + "/sessions", null, timeout, listOf(Session.class));
    }

    /** The replication of a SQL instance: one entry per primary it replicates from. */
    public List<ReplicaStatus> replication(String id) {
        return call("GET", instancePath(id) + "/replication", null, timeout, listOf(ReplicaStatus.class));
    }

    /** Where a replicated instance stands: read-only or not, its GTID positions, its fence and its source. */
    public ReplicationState replicationState(String id) {
        return call("GET", instancePath(id) + "/replication/state", null, timeout, type(ReplicationState.class));
    }

    /** Fences the instance (see {@link FenceRequest}); the agent holds its read lock until released or lapsed. */
    public ReplicationState fence(String id, FenceRequest request) {
        return replicationVerb(id, "fence", request, timeout);
    }

    /** Lets the instance's fence go; with {@code writable}, it takes writes again. */
    public ReplicationState release(String id, boolean writable) {
        return replicationVerb(id, "release", new ReleaseRequest(writable), timeout);
    }

    /** Ends the client sessions of the instance but the fence's and those of {@code keepUser}. */
    public ReplicationState endSessions(String id, String keepUser) {
        return replicationVerb(id, "end-sessions", new EndSessionsRequest(keepUser), timeout);
    }

    /** Makes the instance stop replicating, forget its primary and take writes. */
    public ReplicationState promote(String id) {
        return replicationVerb(id, "promote", Map.of(), timeout);
    }

    /** Makes the instance replicate from {@code source} with GTID. */
    public ReplicationState setSource(String id, ReplicationSource source) {
        return replicationVerb(id, "source", source, timeout);
    }

    /** Creates, when missing, the account replicas log in with on this instance. */
    public ReplicationState ensureReplicationUser(String id, ReplicationUser user) {
        return replicationVerb(id, "user", user, timeout);
    }

    /**
     * Makes the instance read-only, stops its replication and sets where it starts again (see
     * {@link GtidPosition}); refused while the agent fences it.
     */
    public ReplicationState setPosition(String id, GtidPosition position) {
        return replicationVerb(id, "position", position, timeout);
    }

    /**
     * Waits until the instance applied {@code wait.gtid()}.
     *
     * @throws AgentException with {@link Code#REFUSED} when it did not within {@code wait.timeoutSeconds()}
     */
    public ReplicationState awaitGtid(String id, GtidWait wait) {
        return replicationVerb(id, "wait", wait, timeout.plusSeconds(wait.timeoutSeconds()));
    }

    private ReplicationState replicationVerb(String id, String verb, Object request, Duration requestTimeout) {
        return call(
                "POST",
                instancePath(id) + "/replication/" + verb,
                json.writeValueAsBytes(request),
                requestTimeout,
                type(ReplicationState.class));
    }

    /** The slow query log entries of a SQL instance in {@code [from, to]}. */
    public List<SlowQuery> slowQueries(String id, java.time.Instant from, java.time.Instant to, int limit) {
        return call(
                "GET",
                instancePath(id)
                        + "/slow-queries?from=%d&to=%d&limit=%d"
                                .formatted(from.toEpochMilli(), to.toEpochMilli(), limit),
                null,
                timeout,
                listOf(SlowQuery.class));
    }

    /** Asks the agent to exit; the instances it supervises keep running. */
    public void shutdown() {
        call("POST", "v1/shutdown", new byte[0], timeout, null);
    }

    @Override
    public void close() {
        if (executor != null) {
            http.close();
            executor.close();
        }
    }

    private <T> T call(String method, String path, byte[] body, Duration requestTimeout, JavaType type) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(requestTimeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw new AgentException(
                    Code.UNREACHABLE,
                    "agent %s is not reachable: no answer to connect within %d ms; check that the host is up and the agent runs"
                            .formatted(address, connectTimeout.toMillis()),
                    e);
        } catch (HttpTimeoutException e) {
            throw new AgentException(
                    Code.TIMEOUT,
                    "agent %s did not answer %s %s within %d ms; check the agent's log on that host"
                            .formatted(address, method, path, requestTimeout.toMillis()),
                    e);
        } catch (ConnectException e) {
            throw new AgentException(
                    Code.UNREACHABLE,
                    "agent %s is not reachable: connection refused; start the agent on that host".formatted(address),
                    e);
        } catch (IOException e) {
            if (handshakeFailure(e) instanceof SSLException refused) {
                throw notTrusted(refused);
            }
            throw new AgentException(
                    Code.UNREACHABLE,
                    "agent %s is not reachable: %s; check that the agent runs".formatted(address, e),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(
                    Code.INTERNAL, "interrupted while calling agent %s %s %s".formatted(address, method, path), e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            if (type == null) {
                return null;
            }
            try {
                return json.readValue(response.body(), type);
            } catch (JacksonException e) {
                throw badResponse(method, path, status, e.getOriginalMessage());
            }
        }
        throw error(method, path, status, response.body());
    }

    /** The TLS failure behind {@code e}, or null when it is another I/O failure. */
    private static SSLException handshakeFailure(IOException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SSLException ssl) {
                return ssl;
            }
        }
        return null;
    }

    /**
     * The one line for an address that did not prove to be the cluster's agent. The request, and the
     * token in it, is only written after the handshake, so nothing of it was sent.
     */
    private AgentException notTrusted(SSLException e) {
        return new AgentException(
                Code.NOT_TRUSTED,
                ("agent %s was refused before anything was sent: %s; if the cluster's agents were deployed before"
                                + " TLS or hold certificates of another CA, run `flotilla cluster tls rotate` for that"
                                + " cluster, otherwise find out what listens on that port")
                        .formatted(address, why(e)),
                e);
    }

    private String why(SSLException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            String message = String.valueOf(cause.getMessage());
            if (cause instanceof CertificateExpiredException) {
                return "its certificate has expired";
            }
            if (cause instanceof CertPathBuilderException || cause instanceof CertPathValidatorException) {
                return "its certificate is not from the cluster's CA";
            }
            if (message.startsWith("No subject alternative")) {
                return "its certificate is not for " + base.getHost();
            }
            if (message.contains("nrecognized SSL message")) {
                return "it does not speak TLS";
            }
            if (message.contains("terminated the handshake") || cause instanceof java.io.EOFException) {
                return "it closed the connection during the TLS handshake";
            }
        }
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return "the TLS handshake failed (%s)".formatted(newline < 0 ? message : message.substring(0, newline));
    }

    private AgentException error(String method, String path, int status, byte[] body) {
        String code;
        String message;
        try {
            JsonNode error = json.readTree(body).path("error");
            code = error.path("code").asString("");
            message = error.path("message").asString("");
        } catch (JacksonException e) {
            return badResponse(method, path, status, "not the agent's error JSON");
        }
        if (code.isEmpty()) {
            return badResponse(method, path, status, "not the agent's error JSON");
        }
        Code known = Code.fromWire(code);
        if (known == Code.UNAUTHORIZED) {
            return new AgentException(
                    known,
                    "agent %s refused the token (%s); the cluster's agent token does not match the agent's token file"
                            .formatted(address, message));
        }
        if (known == Code.AGENT_ERROR) {
            return new AgentException(known, "agent %s: %s (%s)".formatted(address, message, code));
        }
        return new AgentException(known, "agent %s: %s".formatted(address, message));
    }

    private AgentException badResponse(String method, String path, int status, String why) {
        return new AgentException(
                Code.BAD_RESPONSE,
                "agent %s answered %s %s with HTTP %d that this client cannot read: %s; is it a Flotilla agent of the same version?"
                        .formatted(address, method, path, status, why));
    }

    private JavaType listOf(Class<?> type) {
        return json.getTypeFactory().constructCollectionType(List.class, type);
    }

    private JavaType type(Class<?> type) {
        return json.getTypeFactory().constructType(type);
    }

    private static String instancePath(String id) {
        requireNonNull(id, "id is null");
        // URLEncoder encodes for forms; a path segment wants %20 rather than +.
        return "v1/instances/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
