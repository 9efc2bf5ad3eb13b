package io.flotilla.cli;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.Pem;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.FlotillaHome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS of a real local cluster (one etcd member and its agent, on ports chosen free): the CA the
 * first deploy makes, the agent's certificate, {@code cluster tls rotate} (with the instance left
 * running), a cluster whose CA is lost, and a stand-in on the agent's port while the agent is down.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTlsTest {
    private static final String NAME = "tlst";

    @TempDir
    static Path root;

    private static Path home;
    private static Cli cli;
    private static String etcd;
    private static Path agentDir;

    @BeforeAll
    static void deploy() throws Exception {
        home = root.resolve("home");
        int client = freePort();
        int peer = freePort();
        etcd = "127.0.0.1:" + client;
        Path topology = root.resolve("topology.yaml");
        Files.writeString(topology, """
                global:
                  user: "%s"
                  deploy_dir: "%s/deploy"
                  data_dir: "%s/data"
                  listen_host: 127.0.0.1
                monitored:
                  node_exporter_port: %d
                  blackbox_exporter_port: %d
                etcd_servers:
                  - { host: 127.0.0.1, client_port: %d, peer_port: %d, name: t1 }
                """.formatted(
                        System.getProperty("user.name"), root, root, freePort(), freePort(), client, peer));
        cli = new Cli(home);
        Cli.Result deploy = cli.run("cluster", "deploy", NAME, topology.toString(), "--yes");
        assertThat(deploy.exitCode()).as(deploy.all()).isZero();
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
        agentDir = root.resolve("deploy/flotilla-agent-" + NAME);
    }

    @AfterAll
    static void destroy() throws Exception {
        if (Files.exists(home.resolve("clusters").resolve(NAME))) {
            cli.run("cluster", "destroy", NAME, "--yes");
        }
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    @Order(1)
    void theFirstDeployMakesTheCaAndGivesTheAgentACertificateForItsHost() throws Exception {
        Path tls = store().dir().resolve("tls").resolve(store().tls().issuer().id());
        assertThat(Files.getPosixFilePermissions(tls.resolve("ca.key")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(agentDir.resolve("tls/agent.key")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        X509Certificate ca = certificate(tls.resolve("ca.crt"));
        X509Certificate agent = certificate(agentDir.resolve("tls/agent.crt"));
        assertThat(AgentTls.issuedBy(agent, ca)).isTrue();
        assertThat(agent.getSubjectAlternativeNames())
                .extracting(name -> String.valueOf(name.get(1)))
                .containsExactly("127.0.0.1", "localhost");
        assertThat(Duration.between(
                                ca.getNotBefore().toInstant(), ca.getNotAfter().toInstant())
                        .toDays())
                .isEqualTo(3650);
        assertThat(Duration.between(
                                agent.getNotBefore().toInstant(),
                                agent.getNotAfter().toInstant())
                        .toDays())
                .isEqualTo(730);
        assertThat(cli.run("cluster", "display", NAME).out()).contains(etcd).contains("Up");
    }

    @Test
    @Order(2)
    void rotateMovesTheAgentToANewCaWhileItsInstanceKeepsRunning() throws Exception {
        SSLContext oldCa = store().tls().context();
        long etcdPid = instance(oldCa).pid();
        long agentPid = agentPid();

        Cli.Result rotate = cli.run("cluster", "tls", "rotate", NAME, "--format", "json");

        assertThat(rotate.exitCode()).as(rotate.all()).isZero();
        assertThat(rotate.err()).contains("] new certificate for agent on 127.0.0.1 ... done");
        String ca = Output.JSON.readTree(rotate.out()).path("ca").asString();
        assertThat(ca).hasSize(12);
        assertThat(store().dir().resolve("tls/next")).doesNotExist();
        SSLContext newCa = store().tls().context();
        InstanceStatus after = instance(newCa);
        assertThat(after.pid()).as("etcd kept running through the rotation").isEqualTo(etcdPid);
        assertThat(after.state()).isEqualTo(InstanceStatus.State.RUNNING);
        assertThat(agentPid()).as("the agent was restarted").isNotEqualTo(agentPid);
        assertThatThrownBy(() -> instance(oldCa))
                .isInstanceOfSatisfying(
                        AgentException.class, e -> assertThat(e.code()).isEqualTo(AgentException.Code.NOT_TRUSTED))
                .hasMessageContaining("its certificate is not from the cluster's CA");
    }

    @Test
    @Order(3)
    void aRotationCutShortIsFinishedWithTheSameNewCa() throws Exception {
        // What a run cut short after making the new CA leaves: tls/next, with the agent still on the old CA.
        String next = store().nextCa().id();

        Cli.Result rotate = cli.run("cluster", "tls", "rotate", NAME);

        assertThat(rotate.exitCode()).as(rotate.all()).isZero();
        assertThat(rotate.out())
                .isEqualTo(
                        "The 1 agent(s) of cluster '%s' hold certificates of its new CA %s; the old CA is trusted no more.%n"
                                .formatted(NAME, next));
        assertThat(instance(store().tls().context()).state()).isEqualTo(InstanceStatus.State.RUNNING);
    }

    @Test
    @Order(4)
    void aClusterWithNoCaSaysToRotateAndRotateGivesItOne() throws Exception {
        // As a cluster deployed before agents had TLS, or one whose CA is lost: its agent still runs.
        Path tls = store().dir().resolve("tls").resolve(store().tls().issuer().id());
        Files.delete(tls.resolve("ca.key"));
        Files.delete(tls.resolve("ca.crt"));

        Cli.Result display = cli.run("cluster", "display", NAME);
        assertThat(display.exitCode()).isEqualTo(1);
        assertThat(display.err())
                .isEqualTo(
                        ("Error: the agents of cluster '%s' have no TLS certificates yet (it was deployed before agents had"
                                        + " TLS, or its CA is lost); run `flotilla cluster tls rotate %s`\n")
                                .formatted(NAME, NAME));

        Cli.Result rotate = cli.run("cluster", "tls", "rotate", NAME);
        assertThat(rotate.exitCode()).as(rotate.all()).isZero();
        assertThat(cli.run("cluster", "display", NAME).out()).contains(etcd).contains("Up");
    }

    @Test
    @Order(5)
    void aStandInOnTheAgentsPortWhileTheAgentIsDownReceivesNoToken() throws Exception {
        String token = store().secrets().agentToken();
        int port = store().meta().agentPorts().get("127.0.0.1");
        try (AgentClient agent = agent(store().tls().context())) {
            long pid = agent.info().pid();
            agent.shutdown();
            assertThat(ProcessHandle.of(pid).map(process -> process.onExit().orTimeout(20, TimeUnit.SECONDS)))
                    .hasValueSatisfying(exit -> exit.join());
        }
        try (ServerSocket standIn = new ServerSocket()) {
            standIn.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            CompletableFuture<byte[]> received = record(standIn);

            Cli.Result display = cli.run("cluster", "display", NAME);

            assertThat(display.out()).contains("Disconnected");
            assertThat(display.all()).contains("refused before anything was sent");
            standIn.close();
            String bytes = new String(received.get(20, TimeUnit.SECONDS), ISO_8859_1);
            assertThat(bytes).as("the stand-in was called").isNotEmpty();
            assertThat(bytes).doesNotContain(token).doesNotContain("Bearer");
        }
        Cli.Result start = cli.run("cluster", "start", NAME);
        assertThat(start.exitCode()).as(start.all()).isZero();
    }

    private static ClusterStore store() {
        return new FlotillaHome(home).cluster(NAME);
    }

    private static AgentClient agent(SSLContext tls) {
        return new AgentClient(
                URI.create("https://127.0.0.1:" + store().meta().agentPorts().get("127.0.0.1")),
                store().secrets().agentToken(),
                tls,
                Duration.ofSeconds(10));
    }

    private static InstanceStatus instance(SSLContext tls) {
        try (AgentClient agent = agent(tls)) {
            return agent.status(etcd);
        }
    }

    private static long agentPid() throws IOException {
        return Long.parseLong(Files.readString(agentDir.resolve("agent.pid")).strip());
    }

    private static X509Certificate certificate(Path file) throws IOException {
        return Pem.certificates(Files.readString(file), file.toString()).getFirst();
    }

    /** Every byte of every connection the stand-in takes, until it is closed. */
    private static CompletableFuture<byte[]> record(ServerSocket standIn) {
        CompletableFuture<byte[]> received = new CompletableFuture<>();
        Thread.ofVirtual().name("stand-in").start(() -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                while (true) {
                    try (Socket socket = standIn.accept()) {
                        socket.setSoTimeout(2000);
                        InputStream in = socket.getInputStream();
                        byte[] buffer = new byte[4096];
                        boolean answered = false;
                        for (int n; (n = in.read(buffer)) > 0; ) {
                            synchronized (bytes) {
                                bytes.write(buffer, 0, n);
                            }
                            if (!answered) {
                                answered = true;
                                socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(ISO_8859_1));
                                socket.shutdownOutput();
                            }
                        }
                    } catch (java.net.SocketTimeoutException ignored) {
                        // That client said all it would.
                    }
                }
            } catch (IOException ignored) {
                // Closed: the record is complete.
            }
            synchronized (bytes) {
                received.complete(bytes.toByteArray());
            }
        });
        return received;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
