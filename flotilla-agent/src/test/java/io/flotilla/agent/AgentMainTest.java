package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.InstanceStatus.State;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.RestartPolicy;
import io.flotilla.testing.AgentProcess;
import io.flotilla.tls.CertificateAuthority;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentMainTest {
    private static final String TOKEN = "main-test-token-8c3e";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<Process> agents = new ArrayList<>();
    private final List<Long> components = new ArrayList<>();
    private final List<Agent> inProcess = new ArrayList<>();

    @AfterEach
    void stopEverything() throws InterruptedException {
        for (Agent agent : inProcess) {
            agent.close();
        }
        for (Process agent : agents) {
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (long pid : components) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void refusesATokenFileOthersCanRead() throws IOException {
        Path token = writeToken(TOKEN, "rw-r--r--");

        assertThatThrownBy(() -> Agent.start(dir, "127.0.0.1:0", RestartPolicy.DEFAULT))
                .isInstanceOfSatisfying(
                        AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.CANNOT_START))
                .hasMessage("agent token file %s has mode 0644; it must be readable by its owner only: chmod 600 %s"
                        .formatted(token, token));
    }

    @Test
    void refusesAnEmptyTokenFile() throws IOException {
        Path token = writeToken("\n", "rw-------");

        assertThatThrownBy(() -> Agent.start(dir, "127.0.0.1:0", RestartPolicy.DEFAULT))
                .hasMessage("agent token file %s is empty; write a random token into it".formatted(token));
    }

    @Test
    void refusesAMissingTokenFile() {
        assertThatThrownBy(() -> Agent.start(dir, "127.0.0.1:0", RestartPolicy.DEFAULT))
                .hasMessage("agent token file %s does not exist; create it with a random token and mode 0600"
                        .formatted(dir.resolve("token")));
    }

    @Test
    void refusesAnAddressInUse() throws IOException {
        writeToken(TOKEN, "rw-------");
        TestingTls.writeAgentFiles(dir);
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String listen = "127.0.0.1:" + taken.getLocalPort();

            assertThatThrownBy(() -> Agent.start(dir, listen, RestartPolicy.DEFAULT))
                    .hasMessage("agent cannot listen on %s: address in use".formatted(listen));
        }
        assertThat(dir.resolve("agent.pid")).doesNotExist();
    }

    @Test
    void refusesASecondAgentOnTheSameDirectory() throws IOException {
        writeToken(TOKEN, "rw-------");
        TestingTls.writeAgentFiles(dir);
        Agent first = Agent.start(dir, "127.0.0.1:0", RestartPolicy.DEFAULT);
        inProcess.add(first);

        assertThatThrownBy(() -> Agent.start(dir, "127.0.0.1:0", RestartPolicy.DEFAULT))
                .hasMessage("another agent already runs on %s (pid %d in %s)"
                        .formatted(dir, ProcessHandle.current().pid(), dir.resolve("agent.pid")));
    }

    @Test
    void refusesToStartWithoutItsTlsFiles() throws IOException {
        writeToken(TOKEN, "rw-------");

        assertThatThrownBy(() -> Agent.start(dir, "127.0.0.1:0", RestartPolicy.DEFAULT))
                .isInstanceOfSatisfying(
                        AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.CANNOT_START))
                .hasMessage(
                        "agent TLS files %s and %s are missing (its API is served over TLS only); run `flotilla cluster tls rotate NAME` on the control machine"
                                .formatted(dir.resolve("tls/agent.key"), dir.resolve("tls/agent.crt")));
        assertThat(dir.resolve("agent.pid")).doesNotExist();
    }

    @Test
    void refusesATlsKeyOthersCanRead() throws IOException {
        writeToken(TOKEN, "rw-------");
        TestingTls.writeAgentFiles(dir);
        Path key = dir.resolve("tls/agent.key");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> Agent.start(dir, "127.0.0.1:0", RestartPolicy.DEFAULT))
                .hasMessage("agent TLS key %s has mode 0644; it must be readable by its owner only: chmod 600 %s"
                        .formatted(key, key));
    }

    @Test
    void refusesAKeyThatIsNotTheCertificates() throws IOException {
        writeToken(TOKEN, "rw-------");
        TestingTls.writeAgentFiles(dir);
        Files.write(
                dir.resolve("tls/agent.crt"), TestingTls.CA.issue("127.0.0.1").certificatePem());

        assertThatThrownBy(() -> Agent.start(dir, "127.0.0.1:0", RestartPolicy.DEFAULT))
                .hasMessage(
                        "agent TLS key %s is not the key of the certificate %s; run `flotilla cluster tls rotate NAME` on the control machine"
                                .formatted(dir.resolve("tls/agent.key"), dir.resolve("tls/agent.crt")));
    }

    @Test
    void theAgentProcessAnswersOverTlsToItsCaAndRefusesAClientOfAnotherCa() throws Exception {
        writeToken(TOKEN, "rw-------");
        TestingTls.writeAgentFiles(dir);
        String listen = "127.0.0.1:" + freePort();
        Process agent = startAgentProcess(listen);
        try (AgentClient client = new AgentClient(
                        URI.create("https://" + listen), TOKEN, TestingTls.client(), Duration.ofSeconds(5));
                AgentClient other = new AgentClient(
                        URI.create("https://" + listen),
                        TOKEN,
                        AgentTls.pinned(
                                List.of(CertificateAuthority.create("other").certificate())),
                        Duration.ofSeconds(5))) {
            assertEventually(WAIT, () -> assertThat(client.info().pid()).isEqualTo(agent.pid()));

            assertThatThrownBy(other::info)
                    .isInstanceOfSatisfying(
                            AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.NOT_TRUSTED))
                    .hasMessage(
                            "agent %s was refused before anything was sent: its certificate is not from the cluster's CA;"
                                            .formatted(listen)
                                    + " if the cluster's agents were deployed before TLS or hold certificates of another CA,"
                                    + " run `flotilla cluster tls rotate` for that cluster, otherwise find out what listens on that port");
            client.shutdown();
            assertThat(agent.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(Files.readString(dir.resolve("agent.log"))).doesNotContain(TOKEN);
    }

    @Test
    void mainExitsWithTheReasonWhenItCannotStart() throws Exception {
        Path token = writeToken(TOKEN, "rw-r-----");

        Process agent = startAgentProcess("127.0.0.1:0");

        assertThat(agent.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).isEqualTo(1);
        assertThat(Files.readString(dir.resolve("agent.log")))
                .isEqualTo("agent token file %s has mode 0640; it must be readable by its owner only: chmod 600 %s\n"
                        .formatted(token, token));
    }

    @Test
    void componentsOutliveTheAgentAndTheNextAgentAdoptsThem() throws Exception {
        writeToken(TOKEN + "\n", "rw-------");
        TestingTls.writeAgentFiles(dir);
        String listen = "127.0.0.1:" + freePort();
        Process agent = startAgentProcess(listen);
        try (AgentClient client =
                new AgentClient(URI.create("https://" + listen), TOKEN, TestingTls.client(), Duration.ofSeconds(5))) {
            assertEventually(WAIT, () -> assertThat(client.info().pid()).isEqualTo(agent.pid()));
            assertThat(Files.readString(dir.resolve("agent.pid"))).isEqualTo(agent.pid() + "\n");
            client.put(new InstanceSpec(
                    "127.0.0.1:7201",
                    "test",
                    List.of("sleep", "300"),
                    Map.of(),
                    dir.toString(),
                    dir.resolve("sleep.log").toString(),
                    Probe.allOf(),
                    5,
                    List.of(),
                    List.of(),
                    "",
                    List.of(),
                    null));
            long component = client.start("127.0.0.1:7201").pid();
            components.add(component);

            agent.destroy();
            assertThat(agent.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(ProcessHandle.of(component).map(ProcessHandle::isAlive)).hasValue(true);
            assertThat(dir.resolve("agent.pid")).doesNotExist();

            Process next = startAgentProcess(listen);
            assertEventually(WAIT, () -> assertThat(client.info().pid()).isEqualTo(next.pid()));
            InstanceStatus adopted = client.status("127.0.0.1:7201");
            assertThat(adopted.state()).isEqualTo(State.RUNNING);
            assertThat(adopted.pid()).isEqualTo(component);

            client.shutdown();
            assertThat(next.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(next.exitValue()).isZero();
            assertThat(ProcessHandle.of(component).map(ProcessHandle::isAlive)).hasValue(true);
        }
        List<String> log = Files.readAllLines(dir.resolve("agent.log"));
        assertThat(log)
                .isNotEmpty()
                .allSatisfy(line -> assertThat(line)
                        .matches(
                                "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S+ [A-Z]+ io\\.flotilla\\.agent\\.\\w+: .+")
                        .doesNotContain(TOKEN))
                .anySatisfy(line ->
                        assertThat(line).contains("instance 127.0.0.1:7201 adopted, pid " + components.getFirst()));
    }

    private Process startAgentProcess(String listen) throws IOException {
        Process agent = AgentProcess.start(dir, listen, dir.resolve("agent.log"));
        agents.add(agent);
        return agent;
    }

    private Path writeToken(String token, String permissions) throws IOException {
        Path file = Files.writeString(dir.resolve("token"), token);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
