package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.AgentInfo;
import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.RestartPolicy;
import io.flotilla.tls.CertificateAuthority;
import io.flotilla.tls.IssuedCertificate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What reaches a process that holds the agent's port but is not the cluster's agent: a plain TCP
 * listener (an agent from before TLS, or any other program) and a TLS server whose certificate comes
 * from another CA. The client must refuse it in the handshake, before its request (and the token in
 * it) is written; every byte the stand-in received is recorded and searched for the token.
 */
class AgentTlsTest {
    private static final String TOKEN = "stand-in-test-token-5d7a1c";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String ADVICE =
            " if the cluster's agents were deployed before TLS or hold certificates of another CA,"
                    + " run `flotilla cluster tls rotate` for that cluster, otherwise find out what listens on that port";

    @TempDir
    Path dir;

    @Test
    void aPlainListenerOnTheAgentsPortReceivesNoToken() throws Exception {
        try (ServerSocket standIn = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // It answers as an HTTP server does to bytes it cannot read, as the agent before TLS did.
            CompletableFuture<byte[]> received = record(standIn, socket -> {
                try {
                    socket.getOutputStream()
                            .write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                    .getBytes(ISO_8859_1));
                    socket.shutdownOutput();
                } catch (IOException ignored) {
                    // The client may be gone already.
                }
            });
            String address = "127.0.0.1:" + standIn.getLocalPort();

            assertThatThrownBy(() -> callWithToken(address))
                    .isInstanceOfSatisfying(
                            AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.NOT_TRUSTED))
                    .hasMessage(
                            "agent %s was refused before anything was sent: it does not speak TLS;".formatted(address)
                                    + ADVICE);
            byte[] bytes = received.get(10, TimeUnit.SECONDS);
            assertThat(bytes).as("the client did connect and say hello").isNotEmpty();
            assertThat(new String(bytes, ISO_8859_1)).doesNotContain(TOKEN).doesNotContain("Bearer");
        }
    }

    @Test
    void aPlainListenerThatHangsUpReceivesNoToken() throws Exception {
        try (ServerSocket standIn = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> received = record(standIn, AgentTlsTest::closeQuietly);
            String address = "127.0.0.1:" + standIn.getLocalPort();

            // The client tries once more on a new connection, which the stand-in never takes up.
            assertThatThrownBy(() -> callWithToken(address))
                    .isInstanceOfSatisfying(
                            AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.UNREACHABLE))
                    .hasMessage(
                            "agent %s is not reachable: no answer to connect within 1000 ms; check that the host is up and the agent runs"
                                    .formatted(address));
            assertThat(new String(received.get(10, TimeUnit.SECONDS), ISO_8859_1))
                    .doesNotContain(TOKEN);
        }
    }

    @Test
    void aTlsServerWithACertificateOfAnotherCaIsRefusedInTheHandshake() throws Exception {
        IssuedCertificate impostor = CertificateAuthority.create("impostor").issue("127.0.0.1");
        try (SSLServerSocket standIn = (SSLServerSocket) AgentTls.server(impostor.key(), impostor.certificate())
                .getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // What it records is what came through TLS: the request, had the client sent one.
            CompletableFuture<byte[]> received = record(standIn, socket -> {});
            String address = "127.0.0.1:" + standIn.getLocalPort();

            assertThatThrownBy(() -> callWithToken(address))
                    .isInstanceOfSatisfying(
                            AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.NOT_TRUSTED))
                    .hasMessage(
                            "agent %s was refused before anything was sent: its certificate is not from the cluster's CA;"
                                            .formatted(address)
                                    + ADVICE);
            assertThat(new String(received.get(10, TimeUnit.SECONDS), ISO_8859_1))
                    .doesNotContain(TOKEN);
        }
    }

    @Test
    void anAgentWithACertificateForAnotherHostIsRefused() throws Exception {
        IssuedCertificate elsewhere = TestingTls.CA.issue("10.0.0.7");
        try (Supervisor supervisor = Supervisor.open(dir.resolve("agent"), RestartPolicy.DEFAULT);
                AgentServer server = AgentServer.start(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        AgentTls.server(elsewhere.key(), elsewhere.certificate()),
                        TOKEN,
                        supervisor,
                        new ProbeRunner(),
                        new AgentInfo(1, "test", Instant.now(), "host1", dir.toString()),
                        () -> {})) {
            String address = "127.0.0.1:" + server.address().getPort();

            assertThatThrownBy(() -> callWithToken(address))
                    .isInstanceOfSatisfying(
                            AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.NOT_TRUSTED))
                    .hasMessage("agent %s was refused before anything was sent: its certificate is not for 127.0.0.1;"
                                    .formatted(address)
                            + ADVICE);
        }
    }

    @Test
    void aClientRefusesAPlainHttpAddress() {
        assertThatThrownBy(
                        () -> new AgentClient(URI.create("http://127.0.0.1:9760"), TOKEN, TestingTls.client(), TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "agent address http://127.0.0.1:9760 is not https://: the token never goes to an agent in clear");
    }

    private static void callWithToken(String address) {
        try (AgentClient client = new AgentClient(
                URI.create("https://" + address), TOKEN, TestingTls.client(), Duration.ofSeconds(1), TIMEOUT)) {
            client.info();
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing is the point; it cannot fail in a way that matters here.
        }
    }

    /** Accepts one connection and keeps every byte it reads until the client goes or 5 s pass. */
    private static CompletableFuture<byte[]> record(ServerSocket standIn, Consumer<Socket> afterFirstBytes) {
        CompletableFuture<byte[]> received = new CompletableFuture<>();
        Thread.ofVirtual().name("stand-in").start(() -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (Socket socket = standIn.accept()) {
                socket.setSoTimeout(5000);
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[4096];
                boolean answered = false;
                try {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        bytes.write(buffer, 0, n);
                        if (!answered) {
                            answered = true;
                            afterFirstBytes.accept(socket);
                        }
                    }
                } catch (IOException ignored) {
                    // The handshake failed or the client hung up: what came until then is the record.
                }
            } catch (IOException ignored) {
                // Nothing connected.
            }
            received.complete(bytes.toByteArray());
        });
        return received;
    }
}
