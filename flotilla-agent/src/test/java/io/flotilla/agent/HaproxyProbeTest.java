package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus.State;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.ProbeResult;
import io.flotilla.agent.api.RestartPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HaproxyBackendsUp against a real HAProxy, run by the supervisor, read through its admin socket. */
class HaproxyProbeTest {
    private static final String ID = "127.0.0.1:0-haproxy";

    @TempDir
    static Path dir;

    private static ServerSocket upstream;
    private static Supervisor supervisor;
    private static ProbeRunner probes;
    private static Path socket;

    @BeforeAll
    static void startHaproxy() throws IOException {
        upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        socket = dir.resolve("admin.sock");
        Path config =
                Files.writeString(dir.resolve("haproxy.cfg"), """
                global
                    stats socket %s mode 600 level admin
                defaults
                    mode tcp
                    timeout connect 1s
                    timeout client 5s
                    timeout server 5s
                backend up
                    server s1 127.0.0.1:%d check inter 100ms fall 1 rise 1
                backend down
                    server s1 127.0.0.1:%d check inter 100ms fall 1 rise 1
                """.formatted(socket, upstream.getLocalPort(), closed));
        supervisor = Supervisor.open(dir.resolve("agent"), RestartPolicy.DEFAULT);
        supervisor.put(new InstanceSpec(
                ID,
                "haproxy",
                List.of("/usr/sbin/haproxy", "-f", config.toString(), "-db"),
                Map.of(),
                dir.toString(),
                dir.resolve("haproxy.log").toString(),
                new Probe.HaproxyBackendsUp(socket.toString(), List.of("up")),
                5,
                List.of(),
                List.of(),
                "haproxy",
                List.of(),
                null));
        probes = new ProbeRunner();
        assertThat(supervisor.start(ID).state()).isEqualTo(State.RUNNING);
    }

    @AfterAll
    static void stopHaproxy() throws IOException {
        if (supervisor != null) {
            supervisor.stop(ID);
            supervisor.close();
        }
        upstream.close();
    }

    @Test
    void readyWhenEveryServerOfTheBackendIsUp() {
        assertEventually(
                Duration.ofSeconds(10),
                () -> assertThat(probes.run(supervisor.spec(ID).probe()))
                        .isEqualTo(ProbeResult.ready("servers UP: up/s1")));
    }

    @Test
    void notReadyWhileAServerIsDown() {
        assertEventually(
                Duration.ofSeconds(10),
                () -> assertThat(probes.run(new Probe.HaproxyBackendsUp(socket.toString(), List.of("up", "down"))))
                        .isEqualTo(ProbeResult.notReady("server down/s1 is DOWN (check: L4CON)")));
    }

    @Test
    void notReadyForABackendHaproxyDoesNotHave() {
        assertEventually(
                Duration.ofSeconds(10),
                () -> assertThat(probes.run(new Probe.HaproxyBackendsUp(socket.toString(), List.of("missing"))))
                        .isEqualTo(ProbeResult.notReady("backend missing is not in HAProxy's stats")));
    }

    @Test
    void notReadyWithoutTheAdminSocket() {
        Path missing = dir.resolve("missing.sock");

        assertThat(probes.run(new Probe.HaproxyBackendsUp(missing.toString(), List.of("up"))))
                .isEqualTo(ProbeResult.notReady("HAProxy admin socket %s does not exist".formatted(missing)));
    }
}
