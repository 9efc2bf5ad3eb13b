package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.ProbeResult;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbeRunnerTest {
    private static HttpServer http;
    private static ServerSocket listening;
    private static ServerSocket silent;
    private static ProbeRunner probes;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServers() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/ok", exchange -> answer(exchange, 200, "all good"));
        http.createContext("/unavailable", exchange -> answer(exchange, 503, "starting"));
        http.start();
        listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        // Accepts connections (the kernel does) but never answers a request.
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        probes = new ProbeRunner(Duration.ofMillis(500));
    }

    @AfterAll
    static void stopServers() throws IOException {
        http.stop(0);
        listening.close();
        silent.close();
    }

    @Test
    void portOpenSeesAListeningPort() {
        assertThat(probes.run(new Probe.PortOpen("127.0.0.1", listening.getLocalPort())))
                .isEqualTo(
                        ProbeResult.ready("127.0.0.1:%d accepts TCP connections".formatted(listening.getLocalPort())));
    }

    @Test
    void portOpenSeesARefusedConnection() throws IOException {
        int port = closedPort();

        assertThat(probes.run(new Probe.PortOpen("127.0.0.1", port)))
                .isEqualTo(ProbeResult.notReady("connection refused on 127.0.0.1:%d".formatted(port)));
    }

    @Test
    void httpOkNeedsStatus200AndTheExpectedBody() throws IOException {
        String base = "http://127.0.0.1:%d".formatted(http.getAddress().getPort());
        int closed = closedPort();

        assertThat(probes.run(new Probe.HttpOk(base + "/ok", "good")))
                .isEqualTo(ProbeResult.ready("HTTP 200 from %s/ok".formatted(base)));
        assertThat(probes.run(new Probe.HttpOk(base + "/ok", "")))
                .isEqualTo(ProbeResult.ready("HTTP 200 from %s/ok".formatted(base)));
        assertThat(probes.run(new Probe.HttpOk(base + "/ok", "ready")))
                .isEqualTo(ProbeResult.notReady(
                        "HTTP 200 from %s/ok, but the body does not contain \"ready\"".formatted(base)));
        assertThat(probes.run(new Probe.HttpOk(base + "/unavailable", "")))
                .isEqualTo(ProbeResult.notReady("HTTP 503 from %s/unavailable".formatted(base)));
        assertThat(probes.run(new Probe.HttpOk("http://127.0.0.1:%d/-/ready".formatted(closed), "")))
                .isEqualTo(ProbeResult.notReady("connection refused on http://127.0.0.1:%d/-/ready".formatted(closed)));
    }

    @Test
    void anAttemptEndsAtTheAttemptTimeout() {
        String url = "http://127.0.0.1:%d/ready".formatted(silent.getLocalPort());
        long before = System.nanoTime();

        ProbeResult result = probes.run(new Probe.HttpOk(url, ""));

        assertThat(result).isEqualTo(ProbeResult.notReady("no answer from %s within 500 ms".formatted(url)));
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void logLineFindsTheFirstMatchingLine() throws IOException {
        Path log = Files.writeString(dir.resolve("mariadb.log"), "starting\nready for connections\nready again\n");
        Path missing = dir.resolve("missing.log");

        assertThat(probes.run(new Probe.LogLine(log.toString(), "ready for conn.*")))
                .isEqualTo(ProbeResult.ready("line 2 of %s matches \"ready for conn.*\"".formatted(log)));
        assertThat(probes.run(new Probe.LogLine(log.toString(), "shutdown")))
                .isEqualTo(ProbeResult.notReady("none of the 3 lines of %s matches \"shutdown\"".formatted(log)));
        assertThat(probes.run(new Probe.LogLine(missing.toString(), "ready")))
                .isEqualTo(ProbeResult.notReady("log file %s does not exist".formatted(missing)));
    }

    @Test
    void logLineReadsALogThatIsNotUtf8() throws IOException {
        Path log = dir.resolve("binary.log");
        Files.write(log, new byte[] {(byte) 0xff, (byte) 0xfe, '\n', 'o', 'k', '\n'});

        assertThat(probes.run(new Probe.LogLine(log.toString(), "^ok$")).ready())
                .isTrue();
    }

    @Test
    void allOfReportsTheFirstProbeThatIsNotReady() throws IOException {
        Path log = Files.writeString(dir.resolve("ready.log"), "ready\n");
        Path missing = dir.resolve("missing.log");
        int closed = closedPort();
        Probe port = new Probe.PortOpen("127.0.0.1", listening.getLocalPort());

        assertThat(probes.run(Probe.allOf(
                        port, new Probe.LogLine(missing.toString(), "ready"), new Probe.PortOpen("127.0.0.1", closed))))
                .isEqualTo(ProbeResult.notReady("log file %s does not exist".formatted(missing)));
        assertThat(probes.run(Probe.allOf(port, new Probe.LogLine(log.toString(), "ready"))))
                .isEqualTo(ProbeResult.ready("127.0.0.1:%d accepts TCP connections; line 1 of %s matches \"ready\""
                        .formatted(listening.getLocalPort(), log)));
        assertThat(probes.run(Probe.allOf())).isEqualTo(ProbeResult.ready("nothing to check"));
    }

    @Test
    void sqlProbesRefuseAPasswordFileOthersCanRead() throws IOException {
        Path password = Files.writeString(dir.resolve("password"), "secret\n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-r--r--"));
        Path missing = dir.resolve("missing-password");

        assertThat(probes.run(
                        new Probe.SqlPing("127.0.0.1", listening.getLocalPort(), "flotilla", password.toString())))
                .isEqualTo(ProbeResult.notReady(
                        "password file %s has mode rw-r--r--; it must be readable by its owner only (chmod 600)"
                                .formatted(password)));
        assertThat(probes.run(new Probe.ReplicaRunning(
                        "127.0.0.1", listening.getLocalPort(), "flotilla", missing.toString())))
                .isEqualTo(ProbeResult.notReady("password file %s does not exist".formatted(missing)));
    }

    @Test
    void readPasswordDropsOneFinalNewline() throws IOException {
        Path password = Files.writeString(dir.resolve("password"), " se cret \n");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));

        assertThat(ProbeRunner.readPassword(password)).isEqualTo(" se cret ");
    }

    @Test
    void haproxyStatsNeedEveryServerOfTheNamedBackendsUp() {
        Path socket = Path.of("/run/haproxy.sock");
        String csv = """
                # pxname,svname,qcur,status,check_status
                sql,FRONTEND,,OPEN,
                mariadb,m1,0,UP,L4OK
                mariadb,m2,0,UP 1/3,L4OK
                mariadb,BACKEND,0,UP,
                replicas,r1,0,DOWN,L4CON
                replicas,r2,0,MAINT,
                replicas,BACKEND,0,DOWN,
                empty,BACKEND,0,DOWN,
                """;

        assertThat(ProbeRunner.HaproxyStats.evaluate(socket, csv, List.of("mariadb")))
                .isEqualTo(ProbeResult.ready("servers UP: mariadb/m1, mariadb/m2"));
        assertThat(ProbeRunner.HaproxyStats.evaluate(socket, csv, List.of("mariadb", "replicas")))
                .isEqualTo(ProbeResult.notReady("server replicas/r1 is DOWN (check: L4CON)"));
        assertThat(ProbeRunner.HaproxyStats.evaluate(socket, csv, List.of("empty")))
                .isEqualTo(ProbeResult.notReady("backend empty has no servers"));
        assertThat(ProbeRunner.HaproxyStats.evaluate(socket, csv, List.of("other")))
                .isEqualTo(ProbeResult.notReady("backend other is not in HAProxy's stats"));
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, int status, String body)
            throws IOException {
        byte[] bytes = body.getBytes(UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        exchange.close();
    }
}
