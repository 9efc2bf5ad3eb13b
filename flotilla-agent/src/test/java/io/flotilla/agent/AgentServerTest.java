package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.AgentInfo;
import io.flotilla.agent.api.AgentJson;
import io.flotilla.agent.api.DiagnosisReport;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.InstanceStatus.State;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.ProbeResult;
import io.flotilla.agent.api.RestartPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API through AgentClient and through a plain HTTP client, against a real supervisor. */
class AgentServerTest {
    private static final String TOKEN = "test-token-5f1c2b";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String ID = "127.0.0.1:7101";

    @TempDir
    Path dir;

    private Supervisor supervisor;
    private ProbeRunner probes;
    private AgentServer server;
    private AgentClient client;
    private ServerSocket listening;
    private CountDownLatch shutdown;
    private AgentInfo info;
    private String address;

    @BeforeEach
    void startServer() throws IOException {
        supervisor = Supervisor.open(dir.resolve("agent"), RestartPolicy.DEFAULT);
        probes = new ProbeRunner();
        shutdown = new CountDownLatch(1);
        info = new AgentInfo(
                ProcessHandle.current().pid(), "test", Instant.parse("2026-01-02T03:04:05Z"), "host1", dir.toString());
        server = AgentServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                TestingTls.server(),
                TOKEN,
                supervisor,
                probes,
                info,
                shutdown::countDown);
        address = "127.0.0.1:" + server.address().getPort();
        client = new AgentClient(URI.create("https://" + address), TOKEN, TestingTls.client(), TIMEOUT);
        listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void stopServer() throws IOException {
        for (InstanceStatus status : supervisor.statuses()) {
            supervisor.stop(status.id());
        }
        client.close();
        server.close();
        supervisor.close();
        listening.close();
    }

    @Test
    void fullRoundTrip() throws InterruptedException {
        assertThat(client.info()).isEqualTo(info);
        assertThat(client.instances()).isEmpty();

        InstanceSpec spec = spec(new Probe.PortOpen("127.0.0.1", listening.getLocalPort()));
        client.put(spec);
        assertThat(supervisor.spec(ID)).isEqualTo(spec);
        assertThat(client.instances())
                .extracting(InstanceStatus::id, InstanceStatus::state)
                .containsExactly(tuple(ID, State.STOPPED));
        assertThat(client.ready(ID)).isEqualTo(ProbeResult.notReady("instance %s is STOPPED".formatted(ID)));

        InstanceStatus started = client.start(ID);
        assertThat(started.state()).isEqualTo(State.RUNNING);
        assertThat(client.status(ID)).isEqualTo(started);
        assertThat(client.start(ID).pid()).isEqualTo(started.pid());
        assertThat(client.ready(ID))
                .isEqualTo(
                        ProbeResult.ready("127.0.0.1:%d accepts TCP connections".formatted(listening.getLocalPort())));
        assertEventually(
                TIMEOUT,
                () -> assertThat(client.diagnosis(ID, 5))
                        .isEqualTo(new DiagnosisReport(List.of(), List.of("sleeping"))));

        InstanceStatus restarted = client.restart(ID);
        assertThat(restarted.state()).isEqualTo(State.RUNNING);
        assertThat(restarted.pid()).isNotEqualTo(started.pid());

        InstanceStatus stopped = client.stop(ID);
        assertThat(stopped.state()).isEqualTo(State.STOPPED);
        assertThat(stopped.lastExit()).isEqualTo("signal 15");
        assertThat(client.diagnosis(ID, 1))
                .isEqualTo(new DiagnosisReport(
                        List.of("the instance is stopped; its last process ended with signal 15"),
                        List.of("sleeping")));

        client.remove(ID);
        assertThat(client.instances()).isEmpty();

        client.shutdown();
        assertThat(shutdown.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void everyProbeKindSurvivesTheTripThroughJson() {
        Probe probe = Probe.allOf(
                new Probe.PortOpen("127.0.0.1", 3306),
                new Probe.HttpOk("http://127.0.0.1:9090/-/ready", "Ready"),
                new Probe.SqlPing("127.0.0.1", 3306, "flotilla", "/etc/flotilla/password"),
                new Probe.ReplicaRunning("127.0.0.1", 3307, "flotilla", "/etc/flotilla/password"),
                new Probe.HaproxyBackendsUp("/run/haproxy/admin.sock", List.of("mariadb")),
                new Probe.LogLine("/var/log/mariadb.log", "ready for connections"));

        client.put(spec(probe));

        assertThat(supervisor.spec(ID).probe()).isEqualTo(probe);
    }

    @Test
    void refusesARequestWithoutTheTokenAndDoesNothing() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/v1/instances/" + ID))
                .PUT(HttpRequest.BodyPublishers.ofString(json(spec(Probe.allOf())))));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(response.body())
                .isEqualTo("{\"error\":{\"code\":\"UNAUTHORIZED\",\"message\":\"missing bearer token\"}}");
        assertThat(supervisor.statuses()).isEmpty();
    }

    @Test
    void refusesAWrongToken() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/v1/agent"))
                .header("Authorization", "Bearer " + TOKEN + "x")
                .GET());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body())
                .isEqualTo("{\"error\":{\"code\":\"UNAUTHORIZED\",\"message\":\"wrong bearer token\"}}");

        try (AgentClient wrong =
                new AgentClient(URI.create("https://" + address), "not-the-token", TestingTls.client(), TIMEOUT)) {
            assertThatThrownBy(() -> wrong.put(spec(Probe.allOf())))
                    .isInstanceOfSatisfying(
                            AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.UNAUTHORIZED))
                    .hasMessage("agent %s refused the token (wrong bearer token); the cluster's agent token does not"
                                    .formatted(address)
                            + " match the agent's token file");
        }
        assertThat(supervisor.statuses()).isEmpty();
    }

    @Test
    void answers404ForAnUnknownInstance() throws Exception {
        assertThatThrownBy(() -> client.start("127.0.0.1:9999"))
                .isInstanceOfSatisfying(
                        AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.UNKNOWN_INSTANCE))
                .hasMessage(
                        "agent %s: no instance 127.0.0.1:9999 on this agent; put its spec first".formatted(address));

        HttpResponse<String> response =
                send(authorized("/v1/instances/127.0.0.1:9999/ready").GET());
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body())
                .isEqualTo("{\"error\":{\"code\":\"UNKNOWN_INSTANCE\","
                        + "\"message\":\"no instance 127.0.0.1:9999 on this agent; put its spec first\"}}");
    }

    @Test
    void answers400ForABadSpec() throws Exception {
        String good = json(spec(Probe.allOf(new Probe.PortOpen("127.0.0.1", 3306))));

        assertThat(putSpec(ID, "{\"id\": \"%s\"}".formatted(ID))).isEqualTo(badSpec("missing property component"));
        assertThat(putSpec(ID, good.replace("{\"id\"", "{\"idd\":1,\"id\"")))
                .isEqualTo(badSpec("unknown property idd"));
        assertThat(putSpec(ID, good.replace("\"port\":3306", "\"prot\":3306")))
                .isEqualTo(badSpec("missing property probe.probes[0].port"));
        assertThat(putSpec(ID, good.replace("\"port\":3306", "\"port\":0")))
                .isEqualTo(badSpec("probe.probes[0]: port 0 is outside 1..65535"));
        assertThat(putSpec(ID, good.replace("portOpen", "portClosed")))
                .isEqualTo(badSpec("unknown type \"portClosed\" of probe.probes[0]"));
        assertThat(putSpec(
                        ID,
                        good.replace(
                                "\"command\":[\"sh\",\"-c\",\"echo sleeping; exec sleep 300\"]", "\"command\":[]")))
                .isEqualTo(badSpec("instance %s has an empty command".formatted(ID)));
        assertThat(putSpec("127.0.0.1:1", good))
                .isEqualTo("400 {\"error\":{\"code\":\"BAD_SPEC\",\"message\":"
                        + "\"spec id %s does not match the instance 127.0.0.1:1 of the path\"}}".formatted(ID));
        assertThat(putSpec(ID, "{"))
                .startsWith("400 {\"error\":{\"code\":\"BAD_SPEC\",\"message\":\"instance spec is not valid JSON: ");
        assertThat(supervisor.statuses()).isEmpty();
    }

    @Test
    void answersWithIsoInstantsAndClearRoutingErrors() throws Exception {
        client.put(spec(Probe.allOf()));

        HttpResponse<String> status = send(authorized("/v1/instances/" + ID).GET());
        HttpResponse<String> noRoute = send(authorized("/v1/nothing").GET());
        HttpResponse<String> wrongMethod =
                send(authorized("/v1/instances/%s/start".formatted(ID)).GET());
        HttpResponse<String> badLines = send(
                authorized("/v1/instances/%s/diagnosis?lines=x".formatted(ID)).GET());

        assertThat(status.body()).containsPattern("\"since\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[.\\d]*Z\"");
        assertThat(noRoute.statusCode()).isEqualTo(404);
        assertThat(noRoute.body())
                .isEqualTo("{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no route for GET /v1/nothing\"}}");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(badLines.statusCode()).isEqualTo(400);
        assertThat(badLines.body())
                .isEqualTo("{\"error\":{\"code\":\"BAD_REQUEST\",\"message\":\"lines=x is not a number in 0..1000\"}}");
    }

    @Test
    void aClientOfAnAgentThatDoesNotRunSaysSo() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }

        try (AgentClient nowhere =
                new AgentClient(URI.create("https://127.0.0.1:" + closed), TOKEN, TestingTls.client(), TIMEOUT)) {
            assertThatThrownBy(nowhere::info)
                    .isInstanceOfSatisfying(
                            AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.UNREACHABLE))
                    .hasMessage("agent 127.0.0.1:%d is not reachable: connection refused; start the agent on that host"
                            .formatted(closed));
        }
    }

    @Test
    void aClientGivesUpOnAListenerThatNeverCompletesTheHandshake() throws IOException {
        // Connecting takes the TLS handshake too: a port that takes the connection and says nothing is not reachable.
        try (AgentClient slow = new AgentClient(
                URI.create("https://127.0.0.1:" + listening.getLocalPort()),
                TOKEN,
                TestingTls.client(),
                Duration.ofMillis(300))) {
            assertThatThrownBy(slow::info)
                    .isInstanceOfSatisfying(
                            AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.UNREACHABLE))
                    .hasMessage(
                            "agent 127.0.0.1:%d is not reachable: no answer to connect within 300 ms; check that the host is up and the agent runs"
                                    .formatted(listening.getLocalPort()));
        }
    }

    private InstanceSpec spec(Probe probe) {
        try {
            Path work = Files.createDirectories(dir.resolve("work"));
            return new InstanceSpec(
                    ID,
                    "test",
                    List.of("sh", "-c", "echo sleeping; exec sleep 300"),
                    Map.of(),
                    work.toString(),
                    work.resolve("instance.log").toString(),
                    probe,
                    5,
                    List.of(),
                    List.of(),
                    "",
                    List.of(),
                    null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String putSpec(String id, String body) throws IOException, InterruptedException {
        HttpResponse<String> response =
                send(authorized("/v1/instances/" + id).PUT(HttpRequest.BodyPublishers.ofString(body)));
        return response.statusCode() + " " + response.body();
    }

    private static String badSpec(String message) {
        return "400 {\"error\":{\"code\":\"BAD_SPEC\",\"message\":\"bad instance spec: %s\"}}"
                .formatted(message.replace("\"", "\\\""));
    }

    private String json(InstanceSpec spec) {
        return new String(AgentJson.strict().writeValueAsBytes(spec), UTF_8);
    }

    private URI uri(String path) {
        return URI.create("https://" + address + path);
    }

    private HttpRequest.Builder authorized(String path) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        try (HttpClient http = TestingTls.http()) {
            return http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
