package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.RestartPolicy;
import io.flotilla.testing.Eventually;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HAProxy's agent-check protocol: an instance id in, "up" or "down" out. */
class HealthCheckServerTest {
    @TempDir
    Path dir;

    @Test
    void answersUpOnlyForARunningReadyInstance() throws Exception {
        Supervisor supervisor = Supervisor.open(dir, RestartPolicy.DEFAULT);
        try (ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                HealthCheckServer server = HealthCheckServer.start(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), supervisor, new ProbeRunner())) {
            InstanceSpec spec = new InstanceSpec(
                    "127.0.0.1:7101",
                    "test",
                    List.of("sleep", "300"),
                    Map.of(),
                    dir.toString(),
                    dir.resolve("7101.log").toString(),
                    new Probe.PortOpen("127.0.0.1", listening.getLocalPort()),
                    5,
                    List.of(),
                    List.of(),
                    "",
                    List.of(),
                    null);
            supervisor.put(spec);
            assertThat(ask(server, "127.0.0.1:7101")).as("stopped").isEqualTo("down\n");
            assertThat(ask(server, "nobody:1")).as("unknown").isEqualTo("down\n");
            long pid = supervisor.start(spec.id()).pid();
            try {
                Eventually.assertEventually(
                        java.time.Duration.ofSeconds(5),
                        () -> assertThat(ask(server, "127.0.0.1:7101")).isEqualTo("up\n"));
            } finally {
                supervisor.stop(spec.id());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        } finally {
            supervisor.close();
        }
    }

    @Test
    void aFloodOfUnknownIdsHoldsNothingAndTheKnownOnesStillGetTheirAnswer() throws Exception {
        Supervisor supervisor = Supervisor.open(dir, RestartPolicy.DEFAULT);
        try (HealthCheckServer server = HealthCheckServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), supervisor, new ProbeRunner())) {
            supervisor.put(new InstanceSpec(
                    "127.0.0.1:7102",
                    "test",
                    List.of("sleep", "300"),
                    Map.of(),
                    dir.toString(),
                    dir.resolve("7102.log").toString(),
                    new Probe.PortOpen("127.0.0.1", 1),
                    5,
                    List.of(),
                    List.of(),
                    "",
                    List.of(),
                    null));
            java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
            try (var flood = java.util.concurrent.Executors.newFixedThreadPool(8)) {
                for (int client = 0; client < 8; client++) {
                    int first = client * 1000;
                    flood.submit(() -> {
                        for (int i = first; i < first + 1000; i++) {
                            String id = "%0255d".formatted(i);
                            try {
                                if (ask(server, id).equals("down\n")) {
                                    answered.incrementAndGet();
                                }
                            } catch (Exception refused) {
                                // closed at once while 64 others were being answered
                            }
                        }
                        return null;
                    });
                }
            }
            assertThat(answered.get()).as("unknown ids are answered down").isPositive();
            assertThat(server.cachedAnswers())
                    .as("answers held after 8000 distinct ids")
                    .isZero();
            assertThat(ask(server, "127.0.0.1:7102")).isEqualTo("down\n");
            assertThat(server.cachedAnswers()).isEqualTo(1);
        } finally {
            supervisor.close();
        }
    }

    @Test
    void theWritePoolIsUpOnlyForTheInstanceSaidWritableAndFollowsItAtOnce() throws Exception {
        Supervisor supervisor = Supervisor.open(dir, RestartPolicy.DEFAULT);
        AtomicReference<String> leader = new AtomicReference<>("127.0.0.1:7201");
        try (HealthCheckServer server = HealthCheckServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                supervisor,
                new ProbeRunner(),
                id -> id.equals(leader.get()))) {
            assertThat(ask(server, "write 127.0.0.1:7201")).isEqualTo("up\n");
            assertThat(ask(server, "write 127.0.0.1:7202")).isEqualTo("down\n");
            leader.set("127.0.0.1:7202");
            // Not cached: the pool moves with the leader on the next check.
            assertThat(ask(server, "write 127.0.0.1:7201")).isEqualTo("down\n");
            assertThat(ask(server, "write 127.0.0.1:7202")).isEqualTo("up\n");
        } finally {
            supervisor.close();
        }
        try (Supervisor again = Supervisor.open(dir, RestartPolicy.DEFAULT);
                HealthCheckServer server = HealthCheckServer.start(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), again, new ProbeRunner())) {
            assertThat(ask(server, "write 127.0.0.1:7202"))
                    .as("no HA: no write answer")
                    .isEqualTo("down\n");
        }
    }

    private static String ask(HealthCheckServer server, String id) throws Exception {
        // Answers are cached for half a second, so a change shows on a later ask.
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.getOutputStream().write((id + "\n").getBytes(US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), US_ASCII);
        }
    }
}
