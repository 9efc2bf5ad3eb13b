package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The part of etcd's v3 API that leader leases need, through the JSON gateway every etcd serves on
 * its client port ({@code /v3/lease/grant}, {@code /v3/kv/txn}, ...): no gRPC stack, a few classes
 * of the JDK's HTTP client. Requests go to one member and move to the next when it cannot be
 * reached; an answer of etcd's (a refused request) is not retried elsewhere. Keys and values are
 * UTF-8 text.
 */
public final class EtcdClient implements AutoCloseable {
    private static final JsonMapper JSON = AgentJson.lenient();

    private final List<URI> endpoints;
    private final Duration timeout;
    private final ExecutorService executor;
    private final HttpClient http;
    /** The member asked first: the last one that answered. */
    private final AtomicInteger current = new AtomicInteger();

    /** A key as etcd holds it: revisions are etcd's, {@code lease} 0 when it has none. */
    public record KeyValue(String key, String value, long createRevision, long modRevision, long lease) {
        public KeyValue {
            requireNonNull(key, "key is null");
            requireNonNull(value, "value is null");
        }
    }

    /**
     * @param endpoints the members' client URLs, {@code http://10.0.0.1:2379}
     * @param timeout bounds connecting to a member and each of its answers
     */
    public EtcdClient(List<URI> endpoints, Duration timeout) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("an etcd client needs at least one member's URL");
        }
        this.endpoints = List.copyOf(endpoints);
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .executor(executor)
                .proxy(HttpClient.Builder.NO_PROXY)
                .build();
    }

    /** A new lease of {@code ttl} (whole seconds, at least 1); its id. */
    public long grant(Duration ttl) {
        JsonNode answer = call("/v3/lease/grant", Map.of("TTL", Math.max(1, ttl.toSeconds())));
        long id = number(answer, "ID");
        if (id == 0) {
            throw new EtcdException(
                    "etcd granted no lease: " + answer.path("error").asString(""));
        }
        return id;
    }

    /** Renews the lease; what etcd says is left of it, empty when the lease is gone (expired or revoked). */
    public Optional<Duration> keepAlive(long lease) {
        JsonNode result = call("/v3/lease/keepalive", Map.of("ID", lease)).path("result");
        long ttl = number(result, "TTL");
        return ttl > 0 ? Optional.of(Duration.ofSeconds(ttl)) : Optional.empty();
    }

    /** Ends the lease and deletes every key on it; a lease already gone is no error. */
    public void revoke(long lease) {
        try {
            call("/v3/lease/revoke", Map.of("ID", lease));
        } catch (EtcdException e) {
            if (!e.getMessage().contains("requested lease not found")) {
                throw e;
            }
        }
    }

    /** Puts {@code key} on {@code lease} (0: none) only when it does not exist: whether it was put. */
    public boolean createIfAbsent(String key, String value, long lease) {
        return txn(compare(key, "CREATE", "create_revision", 0), putOperation(key, value, lease));
    }

    /** Puts {@code key} only while its last change is {@code modRevision}: whether it was put. */
    public boolean replaceIf(String key, long modRevision, String value, long lease) {
        return txn(compare(key, "MOD", "mod_revision", modRevision), putOperation(key, value, lease));
    }

    /** Deletes {@code key} only while its last change is {@code modRevision}: whether it was deleted. */
    public boolean deleteIf(String key, long modRevision) {
        return txn(
                compare(key, "MOD", "mod_revision", modRevision),
                Map.of("request_delete_range", Map.of("key", base64(key))));
    }

    /**
     * Puts {@code key} (on no lease) only while {@code guard} is held on {@code guardLease}: what
     * only the holder of a lease may write, written by no one who lost it meanwhile. Whether it was put.
     */
    public boolean putWhileHeld(String key, String value, String guard, long guardLease) {
        if (guardLease == 0) {
            throw new IllegalArgumentException("a key on no lease guards nothing");
        }
        return txn(compare(guard, "LEASE", "lease", guardLease), putOperation(key, value, 0));
    }

    /** Puts {@code key} whatever it holds, on {@code lease} (0: none). */
    public void put(String key, String value, long lease) {
        call("/v3/kv/put", putRequest(key, value, lease));
    }

    public Optional<KeyValue> get(String key) {
        List<KeyValue> found = range(Map.of("key", base64(key)));
        return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst());
    }

    /** Every key that starts with {@code prefix}, in key order. */
    public List<KeyValue> prefix(String prefix) {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("an empty prefix would read every key of etcd");
        }
        return range(Map.of("key", base64(prefix), "range_end", base64(rangeEnd(prefix))));
    }

    /** Deletes {@code key}; whether it existed. */
    public boolean delete(String key) {
        return number(call("/v3/kv/deleterange", Map.of("key", base64(key))), "deleted") > 0;
    }

    private List<KeyValue> range(Map<String, Object> request) {
        List<KeyValue> found = new ArrayList<>();
        for (JsonNode kv : call("/v3/kv/range", request).path("kvs")) {
            found.add(keyValue(kv));
        }
        return found;
    }

    private boolean txn(Map<String, Object> compare, Map<String, Object> success) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("compare", List.of(compare));
        request.put("success", List.of(success));
        return call("/v3/kv/txn", request).path("succeeded").asBoolean(false);
    }

    private static Map<String, Object> compare(String key, String target, String field, long revision) {
        return Map.of("key", base64(key), "result", "EQUAL", "target", target, field, revision);
    }

    private static Map<String, Object> putOperation(String key, String value, long lease) {
        return Map.of("request_put", putRequest(key, value, lease));
    }

    private static Map<String, Object> putRequest(String key, String value, long lease) {
        Map<String, Object> put = new LinkedHashMap<>();
        put.put("key", base64(key));
        put.put("value", base64(value));
        if (lease != 0) {
            put.put("lease", lease);
        }
        return put;
    }

    /** The end of a prefix's range: the prefix with its last byte one higher (etcd's {@code WithPrefix}). */
    static byte[] rangeEnd(String prefix) {
        byte[] bytes = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] != (byte) 0xff) {
                bytes[i]++;
                return Arrays.copyOf(bytes, i + 1);
            }
        }
        return new byte[] {0};
    }

    private JsonNode call(String path, Map<String, Object> request) {
        byte[] body = JSON.writeValueAsBytes(request);
        EtcdException unreachable = null;
        int first = current.get();
        for (int i = 0; i < endpoints.size(); i++) {
            int index = (first + i) % endpoints.size();
            URI endpoint = endpoints.get(index);
            HttpResponse<byte[]> response;
            try {
                response = http.send(
                        HttpRequest.newBuilder(endpoint.resolve(path))
                                .timeout(timeout)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                unreachable = new EtcdException(
                        "etcd %s cannot be reached: %s".formatted(endpoint, String.valueOf(e.getMessage())), e);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EtcdException("interrupted while asking etcd " + endpoint, e);
            }
            current.set(index);
            JsonNode answer;
            try {
                answer = JSON.readTree(response.body());
            } catch (JacksonException e) {
                throw new EtcdException(
                        "etcd %s answered %s with no JSON (HTTP %d)".formatted(endpoint, path, response.statusCode()));
            }
            if (response.statusCode() != 200) {
                String error =
                        answer.path("error").asString(answer.path("message").asString(""));
                throw new EtcdException(
                        "etcd %s refused %s (HTTP %d): %s".formatted(endpoint, path, response.statusCode(), error));
            }
            return answer;
        }
        throw requireNonNull(unreachable);
    }

    private static KeyValue keyValue(JsonNode kv) {
        return new KeyValue(
                text(kv.path("key").asString("")),
                text(kv.path("value").asString("")),
                number(kv, "create_revision"),
                number(kv, "mod_revision"),
                number(kv, "lease"));
    }

    /** A number of etcd's JSON, which writes 64-bit ones as strings and leaves out zeros. */
    private static long number(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return 0;
        }
        try {
            return value.isNumber() ? value.asLong() : Long.parseLong(value.asString());
        } catch (NumberFormatException e) {
            throw new EtcdException("etcd answered '%s' for %s, not a number".formatted(value.asString(), field));
        }
    }

    private static String base64(String text) {
        return base64(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static String text(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        http.close();
        executor.close();
    }

    /** etcd could not be reached, or refused the request; the message says which member and why. */
    public static final class EtcdException extends RuntimeException {
        public EtcdException(String message) {
            super(message);
        }

        public EtcdException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
