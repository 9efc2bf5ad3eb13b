package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.AgentInfo;
import io.flotilla.agent.api.AgentJson;
import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.ConfigItem;
import io.flotilla.agent.api.EndSessionsRequest;
import io.flotilla.agent.api.FenceRequest;
import io.flotilla.agent.api.GtidPosition;
import io.flotilla.agent.api.GtidWait;
import io.flotilla.agent.api.HaGroupSpec;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.LogQuery;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.ProbeResult;
import io.flotilla.agent.api.ReleaseRequest;
import io.flotilla.agent.api.ReplicationSource;
import io.flotilla.agent.api.ReplicationUser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.InvalidTypeIdException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The agent's HTTP API, over TLS 1.3 only ({@link AgentTls}). Every request must carry
 * {@code Authorization: Bearer <token>}; errors are
 * {@code {"error": {"code": ..., "message": ...}}} with the HTTP status of the {@link Code}.
 */
public final class AgentServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AgentServer.class.getName());
    private static final String PREFIX = "/v1/";
    private static final int MAX_BODY_BYTES = 1 << 20;
    private static final int MAX_LOG_LINES = 1000;
    private static final int DEFAULT_LOG_LINES = 20;
    private static final Duration SAMPLE_INTERVAL = Duration.ofSeconds(1);
    private static final int DEFAULT_SLOW_QUERIES = 1000;

    private final HttpsServer server;
    private final ExecutorService handlers;
    private final byte[] tokenDigest;
    private final Supervisor supervisor;
    private final ProbeRunner probes;
    private final AgentInfo info;
    private final Runnable shutdown;
    private final JsonMapper json;
    private final HostSampler sampler;
    private final LogSearch logs;
    private final InstanceAdmin admin;
    private final ReplicationAdmin replication;
    private final GroupMembers groups;

    private AgentServer(
            HttpsServer server,
            ExecutorService handlers,
            String token,
            Supervisor supervisor,
            ProbeRunner probes,
            AgentInfo info,
            Runnable shutdown) {
        this.server = server;
        this.handlers = handlers;
        this.tokenDigest = sha256(token);
        this.supervisor = supervisor;
        this.probes = probes;
        this.info = info;
        this.shutdown = shutdown;
        this.json = AgentJson.strict();
        this.sampler = HostSampler.start(SAMPLE_INTERVAL);
        this.logs = new LogSearch(supervisor, ZoneId.systemDefault());
        this.admin = new InstanceAdmin(supervisor);
        this.replication = new ReplicationAdmin(supervisor, Path.of(info.dir()).resolve("secrets"));
        this.groups = new GroupMembers(Path.of(info.dir()).resolve("ha"), supervisor, replication, probes);
    }

    /**
     * Binds {@code address} and serves the API over TLS with {@code tls} (the agent's key and
     * certificate, {@link AgentTls#server}). {@code shutdown} runs, on a thread of its own, after the
     * answer to {@code POST /v1/shutdown} is sent.
     *
     * @throws java.net.BindException when the address is in use
     */
    public static AgentServer start(
            InetSocketAddress address,
            SSLContext tls,
            String token,
            Supervisor supervisor,
            ProbeRunner probes,
            AgentInfo info,
            Runnable shutdown)
            throws IOException {
        requireNonNull(address, "address is null");
        requireNonNull(token, "token is null");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("token is empty");
        }
        requireNonNull(tls, "tls is null");
        HttpsServer server = HttpsServer.create(address, 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters parameters) {
                parameters.setSSLParameters(AgentTls.parameters(tls));
            }
        });
        ExecutorService handlers = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("agent-http-", 0).factory());
        AgentServer agent = new AgentServer(
                server,
                handlers,
                token,
                requireNonNull(supervisor, "supervisor is null"),
                requireNonNull(probes, "probes is null"),
                requireNonNull(info, "info is null"),
                requireNonNull(shutdown, "shutdown is null"));
        server.createContext("/", agent::handle);
        server.setExecutor(handlers);
        server.start();
        return agent;
    }

    /** The bound address; its port is the real one when port 0 was asked for. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** The replication groups the agent takes part in; the gateway's write checks ask them. */
    GroupMembers groups() {
        return groups;
    }

    /**
     * Stops answering; a request still running (a stop waiting for its process) is interrupted. The
     * replication groups' members stop, leaving held leader keys on their leases.
     */
    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        sampler.close();
        groups.close();
        replication.close();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                authorize(exchange);
                Reply reply = route(exchange);
                send(exchange, reply.status(), reply.body());
                if (reply.then() != null) {
                    Thread.ofPlatform().name("agent-shutdown").start(reply.then());
                }
            } catch (AgentException e) {
                if (e.code() == Code.INTERNAL) {
                    LOG.log(
                            Level.ERROR,
                            "%s %s failed: %s".formatted(method(exchange), path(exchange), e.getMessage()));
                }
                send(exchange, e.code().httpStatus(), error(e.code(), e.getMessage()));
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "%s %s failed".formatted(method(exchange), path(exchange)), e);
                send(exchange, 500, error(Code.INTERNAL, "agent failed: " + e));
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot answer %s %s: %s".formatted(method(exchange), path(exchange), e));
        }
    }

    private void authorize(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            throw unauthorized(exchange, "missing bearer token");
        }
        // Comparing digests keeps both the content and the length of the token out of the timing.
        if (!MessageDigest.isEqual(tokenDigest, sha256(header.substring("Bearer ".length())))) {
            throw unauthorized(exchange, "wrong bearer token");
        }
    }

    private static AgentException unauthorized(HttpExchange exchange, String message) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        LOG.log(
                Level.WARNING,
                "refused %s %s from %s: %s"
                        .formatted(method(exchange), path(exchange), exchange.getRemoteAddress(), message));
        return new AgentException(Code.UNAUTHORIZED, message);
    }

    private Reply route(HttpExchange exchange) throws IOException {
        String method = method(exchange);
        String path = path(exchange);
        if (!path.startsWith(PREFIX)) {
            throw noRoute(method, path);
        }
        List<String> segments = Arrays.asList(path.substring(PREFIX.length()).split("/", -1));
        switch (segments.size()) {
            case 1 -> {
                switch (segments.getFirst()) {
                    case "agent" -> {
                        expect(method, path, "GET");
                        return Reply.ok(info);
                    }
                    case "instances" -> {
                        expect(method, path, "GET");
                        return Reply.ok(supervisor.statuses());
                    }
                    case "probe" -> {
                        expect(method, path, "POST");
                        return Reply.ok(probes.run(readProbe(exchange)));
                    }
                    case "logs" -> {
                        expect(method, path, "POST");
                        return Reply.ok(logs.search(read(exchange, LogQuery.class, "log query")));
                    }
                    case "shutdown" -> {
                        expect(method, path, "POST");
                        LOG.log(Level.INFO, "shutdown asked by %s".formatted(exchange.getRemoteAddress()));
                        return new Reply(202, Map.of("shutdown", true), shutdown);
                    }
                    default -> throw noRoute(method, path);
                }
            }
            case 2 -> {
                if (segments.getFirst().equals("ha") && segments.get(1).equals("groups")) {
                    expect(method, path, "GET");
                    return Reply.ok(groups.statuses());
                }
                if (segments.getFirst().equals("host")) {
                    expect(method, path, "GET");
                    return Reply.ok(
                            switch (segments.get(1)) {
                                case "load" -> sampler.load();
                                case "hardware" -> HostInventory.hardware();
                                case "system" -> HostInventory.systemInfo();
                                default -> throw noRoute(method, path);
                            });
                }
                if (!segments.getFirst().equals("instances")) {
                    throw noRoute(method, path);
                }
                String id = segments.get(1);
                switch (method) {
                    case "GET" -> {
                        return Reply.ok(supervisor.status(id));
                    }
                    case "PUT" -> {
                        InstanceSpec spec = readSpec(exchange);
                        if (!spec.id().equals(id)) {
                            throw new AgentException(
                                    Code.BAD_SPEC,
                                    "spec id %s does not match the instance %s of the path".formatted(spec.id(), id));
                        }
                        return Reply.ok(supervisor.put(spec));
                    }
                    case "DELETE" -> {
                        supervisor.remove(id);
                        return new Reply(204, null, null);
                    }
                    default -> throw notAllowed(method, path);
                }
            }
            case 3 -> {
                if (segments.getFirst().equals("ha") && segments.get(1).equals("groups")) {
                    return haGroup(exchange, method, path, segments.get(2));
                }
                if (!segments.getFirst().equals("instances")) {
                    throw noRoute(method, path);
                }
                String id = segments.get(1);
                String action = segments.get(2);
                switch (action) {
                    case "start", "stop", "restart" -> {
                        expect(method, path, "POST");
                        LOG.log(Level.INFO, "%s %s asked by %s".formatted(action, id, exchange.getRemoteAddress()));
                        return Reply.ok(
                                switch (action) {
                                    case "start" -> supervisor.start(id);
                                    case "stop" -> supervisor.stop(id);
                                    default -> supervisor.restart(id);
                                });
                    }
                    case "config" -> {
                        if (method.equals("POST")) {
                            ConfigItem change = read(exchange, ConfigItem.class, "config change");
                            LOG.log(
                                    Level.INFO,
                                    "config %s = %s of %s asked by %s"
                                            .formatted(change.key(), change.value(), id, exchange.getRemoteAddress()));
                            return Reply.ok(admin.set(id, change.key(), change.value()));
                        }
                        expect(method, path, "GET");
                        return Reply.ok(admin.config(id));
                    }
                    case "ready", "details", "sessions", "replication" -> {
                        expect(method, path, "GET");
                        return Reply.ok(
                                switch (action) {
                                    case "ready" -> ready(id);
                                    case "details" -> admin.details(id);
                                    case "sessions" -> admin.sessions(id);
                                    default -> admin.replication(id);
                                });
                    }
                    case "slow-queries" -> {
                        expect(method, path, "GET");
                        long from = longParameter(exchange, "from", 0);
                        long to = longParameter(exchange, "to", Long.MAX_VALUE / 4);
                        int limit = intParameter(exchange, "limit", DEFAULT_SLOW_QUERIES, 1, LogQuery.MAX_LIMIT);
                        return Reply.ok(
                                admin.slowQueries(id, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to), limit));
                    }
                    case "diagnosis" -> {
                        expect(method, path, "GET");
                        int lines = intParameter(exchange, "lines", DEFAULT_LOG_LINES, 0, MAX_LOG_LINES);
                        return Reply.ok(Diagnosis.report(supervisor.spec(id), supervisor.status(id), lines));
                    }
                    default -> throw noRoute(method, path);
                }
            }
            case 4 -> {
                if (!segments.getFirst().equals("instances") || !segments.get(2).equals("replication")) {
                    throw noRoute(method, path);
                }
                return replicationVerb(exchange, method, path, segments.get(1), segments.get(3));
            }
            default -> throw noRoute(method, path);
        }
    }

    /** {@code /v1/ha/groups/GROUP}: a replication group's settings, put (PUT) or removed (DELETE). */
    private Reply haGroup(HttpExchange exchange, String method, String path, String group) throws IOException {
        switch (method) {
            case "PUT" -> {
                HaGroupSpec spec = read(exchange, HaGroupSpec.class, "replication group settings");
                if (!spec.group().equals(group)) {
                    throw new AgentException(
                            Code.BAD_REQUEST,
                            "settings of group %s do not match the group %s of the path"
                                    .formatted(spec.group(), group));
                }
                LOG.log(Level.INFO, "HA settings of group %s put by %s".formatted(group, exchange.getRemoteAddress()));
                return Reply.ok(groups.put(spec));
            }
            case "DELETE" -> {
                LOG.log(Level.INFO, "HA group %s removed by %s".formatted(group, exchange.getRemoteAddress()));
                groups.remove(group);
                return new Reply(204, null, null);
            }
            default -> throw notAllowed(method, path);
        }
    }

    /** {@code /v1/instances/ID/replication/VERB}: the replication state (GET) and verbs (POST). */
    private Reply replicationVerb(HttpExchange exchange, String method, String path, String id, String verb)
            throws IOException {
        if (verb.equals("state")) {
            expect(method, path, "GET");
            return Reply.ok(replication.state(id));
        }
        expect(method, path, "POST");
        LOG.log(Level.INFO, "replication %s of %s asked by %s".formatted(verb, id, exchange.getRemoteAddress()));
        return Reply.ok(
                switch (verb) {
                    case "fence" -> replication.fence(id, read(exchange, FenceRequest.class, "fence request"));
                    case "release" ->
                        replication.release(
                                id,
                                read(exchange, ReleaseRequest.class, "release").writable());
                    case "end-sessions" ->
                        replication.endSessions(
                                id,
                                read(exchange, EndSessionsRequest.class, "sessions to keep")
                                        .keepUser());
                    case "promote" -> replication.promote(id);
                    case "source" ->
                        replication.source(id, read(exchange, ReplicationSource.class, "replication source"));
                    case "wait" -> replication.await(id, read(exchange, GtidWait.class, "GTID wait"));
                    case "user" ->
                        replication.ensureUser(id, read(exchange, ReplicationUser.class, "replication user"));
                    case "position" ->
                        replication.position(id, read(exchange, GtidPosition.class, "replication position"));
                    default -> throw noRoute(method, path);
                });
    }

    // A stopped instance is not ready even when something else answers on its port.
    private ProbeResult ready(String id) {
        InstanceSpec spec = supervisor.spec(id);
        InstanceStatus status = supervisor.status(id);
        if (status.state() != InstanceStatus.State.RUNNING) {
            return ProbeResult.notReady("instance %s is %s".formatted(id, status.state()));
        }
        return probes.run(spec.probe());
    }

    private Probe readProbe(HttpExchange exchange) throws IOException {
        byte[] body = readBody(exchange);
        try {
            return json.readValue(body, Probe.class);
        } catch (JacksonException e) {
            throw new AgentException(Code.BAD_SPEC, "bad probe: " + e.getOriginalMessage());
        }
    }

    private <T> T read(HttpExchange exchange, Class<T> type, String what) throws IOException {
        byte[] body = readBody(exchange);
        try {
            return json.readValue(body, type);
        } catch (DatabindException e) {
            throw new AgentException(Code.BAD_REQUEST, "bad %s: %s".formatted(what, describe(e)));
        } catch (JacksonException e) {
            throw new AgentException(
                    Code.BAD_REQUEST, "%s is not valid JSON: %s".formatted(what, e.getOriginalMessage()));
        }
    }

    private static long longParameter(HttpExchange exchange, String name, long fallback) {
        String value = parameter(exchange, name);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new AgentException(Code.BAD_REQUEST, "%s=%s is not a number".formatted(name, value));
        }
    }

    private InstanceSpec readSpec(HttpExchange exchange) throws IOException {
        byte[] body = readBody(exchange);
        try {
            return json.readValue(body, InstanceSpec.class);
        } catch (DatabindException e) {
            throw new AgentException(Code.BAD_SPEC, "bad instance spec: " + describe(e));
        } catch (JacksonException e) {
            throw new AgentException(Code.BAD_SPEC, "instance spec is not valid JSON: " + e.getOriginalMessage());
        }
    }

    // Says what is wrong in the spec's terms ("missing property probe.port"), not in Jackson's.
    private static String describe(DatabindException e) {
        String path = path(e);
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (e instanceof UnrecognizedPropertyException) {
            return "unknown property " + path;
        }
        if (e instanceof InvalidTypeIdException invalid) {
            return "unknown type \"%s\" of %s".formatted(invalid.getTypeId(), path);
        }
        if (original.startsWith("Missing creator property '")) {
            // The path already ends with the missing property.
            String name = original.substring("Missing creator property '".length(), original.indexOf('\'', 27));
            return "missing property " + (path.isEmpty() ? name : path);
        }
        // A record's compact constructor says what is wrong ("id is null"); Jackson wraps it.
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String message = root != e && root.getMessage() != null ? root.getMessage() : original;
        return path.isEmpty() ? message : "%s: %s".formatted(path, message);
    }

    private static String path(DatabindException e) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference reference : e.getPath()) {
            if (reference.getPropertyName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static byte[] readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw new AgentException(
                        Code.BAD_REQUEST, "request body is larger than %d bytes".formatted(MAX_BODY_BYTES));
            }
            return body;
        }
    }

    private static int intParameter(HttpExchange exchange, String name, int fallback, int min, int max) {
        String value = parameter(exchange, name);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // Reported below with the allowed range.
        }
        throw new AgentException(Code.BAD_REQUEST, "%s=%s is not a number in %d..%d".formatted(name, value, min, max));
    }

    /** The raw value of the first {@code name=...} of the query; null when there is none. */
    private static String parameter(HttpExchange exchange, String name) {
        String query = exchange.getRequestURI().getRawQuery();
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).equals(name)) {
                return pair.substring(equals + 1);
            }
        }
        return null;
    }

    private static void expect(String method, String path, String expected) {
        if (!method.equals(expected)) {
            throw notAllowed(method, path);
        }
    }

    private static AgentException noRoute(String method, String path) {
        return new AgentException(Code.NOT_FOUND, "no route for %s %s".formatted(method, path));
    }

    private static AgentException notAllowed(String method, String path) {
        return new AgentException(Code.METHOD_NOT_ALLOWED, "%s is not allowed on %s".formatted(method, path));
    }

    private void send(HttpExchange exchange, int status, Object body) throws IOException {
        if (body == null) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Map<String, Object> error(Code code, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code.name());
        error.put("message", message);
        return Map.of("error", error);
    }

    private static String method(HttpExchange exchange) {
        return exchange.getRequestMethod();
    }

    private static String path(HttpExchange exchange) {
        return exchange.getRequestURI().getPath();
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private record Reply(int status, Object body, Runnable then) {
        static Reply ok(Object body) {
            return new Reply(200, body, null);
        }
    }
}
