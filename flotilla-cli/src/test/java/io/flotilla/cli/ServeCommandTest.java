package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flotilla serve}'s limits: their options, and what clients that never log in cost the real
 * command in a process of its own, started with the JVM options of the {@code bin/flotilla}
 * launcher (no heap cap: the JVM's default maximum, a quarter of the machine's memory), its
 * resident memory read from /proc.
 */
class ServeCommandTest {
    private static final int CLIENTS = 50;
    private static final int ANNOUNCED = 0xFFFFFF;
    private static final long LIMIT_KB = 300 * 1024;

    @TempDir
    Path home;

    private Process serve;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (serve != null) {
            serve.destroy();
            if (!serve.waitFor(10, TimeUnit.SECONDS)) {
                serve.destroyForcibly();
            }
        }
    }

    @Test
    void limitsOutsideMysqlsRangesAreRefusedWithTheOptionNamed() {
        Cli cli = new Cli(home);
        Cli.Result zero = cli.run("serve", "--wait-timeout", "0");
        assertThat(zero.exitCode()).isEqualTo(1);
        assertThat(zero.out()).isEmpty();
        assertThat(zero.err()).isEqualTo("Error: --wait-timeout must be between 1 and 31536000, got 0\n");
        Cli.Result delays = cli.run(
                "serve",
                "--connection-control-min-connection-delay",
                "5000",
                "--connection-control-max-connection-delay",
                "2000");
        assertThat(delays.err())
                .isEqualTo("Error: --connection-control-max-connection-delay must be between 5000 and 2147483647,"
                        + " got 2000\n");
    }

    @Test
    void fiftyClientsThatAnnounce16MegabytesAndTrickleThemKeepServeUnder300Megabytes() throws Exception {
        String launcher = Files.readString(Path.of("src/main/dist/bin/flotilla"));
        assertThat(launcher)
                .contains("exec \"$java\" -XX:+UseSerialGC $tiers -Xss1m \"$@\"")
                .doesNotContain("-Xmx");
        Path out = home.resolve("serve.out");
        ProcessBuilder command = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:+UseSerialGC",
                        "-Xss1m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.flotilla.cli.Main",
                        "serve",
                        "--listen",
                        "127.0.0.1:0")
                .redirectOutput(out.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        command.environment().put("FLOTILLA_HOME", home.toString());
        serve = command.start();
        int port = awaitPort(out);
        long idleKb = rssKb(serve.pid());

        // As many silent clients, held open, beside the ones that send.
        for (int i = 0; i < CLIENTS; i++) {
            connect(port);
        }
        long sent = 0;
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Long>> sending = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                Socket socket = connect(port);
                sending.add(clients.submit(() -> trickle(socket)));
            }
            for (Future<Long> each : sending) {
                sent += each.get(120, TimeUnit.SECONDS);
            }
        }
        long peakKb = 0;
        for (int i = 0; i < 10; i++) {
            peakKb = Math.max(peakKb, rssKb(serve.pid()));
            Thread.sleep(100);
        }
        assertThat(serve.isAlive()).as(Files.readString(out)).isTrue();
        assertThat(peakKb)
                .as(
                        "serve's RSS with %d silent and %d clients that sent %d MB before login (idle: %d MB)",
                        CLIENTS, CLIENTS, sent >> 20, idleKb >> 10)
                .isLessThan(LIMIT_KB);
        System.out.printf(
                "serve RSS: %d MB idle, %d MB with %d silent clients and %d that sent %d MB%n",
                idleKb >> 10, peakKb >> 10, CLIENTS, CLIENTS, sent >> 20);
    }

    private Socket connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        sockets.add(socket);
        socket.setSoTimeout(30_000);
        DataInputStream greeting = new DataInputStream(socket.getInputStream());
        byte[] header = new byte[4];
        greeting.readFully(header);
        greeting.readFully(new byte[(header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16]);
        return socket;
    }

    /**
     * Announces a 16 MB handshake response and sends all of it but its last byte, 64 KB at a
     * time with pauses, until done or the server closes; the bytes sent.
     */
    private static long trickle(Socket socket) throws InterruptedException {
        long sent = 0;
        try {
            OutputStream out = socket.getOutputStream();
            out.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1});
            byte[] chunk = new byte[64 * 1024];
            while (sent + chunk.length < ANNOUNCED) {
                out.write(chunk);
                sent += chunk.length;
                Thread.sleep(2);
            }
        } catch (IOException closedByTheServer) {
            // what the fix does; the sockets stay open on this side until the end of the test
        }
        return sent;
    }

    private int awaitPort(Path out) {
        Pattern serving = Pattern.compile("Serving cluster SQL for every cluster on 127\\.0\\.0\\.1:(\\d+)\\.");
        int[] port = new int[1];
        assertEventually(Duration.ofSeconds(60), () -> {
            assertThat(serve.isAlive()).isTrue();
            Matcher matcher = serving.matcher(Files.readString(out));
            assertThat(matcher.find()).isTrue();
            port[0] = Integer.parseInt(matcher.group(1));
        });
        return port[0];
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/%d/status".formatted(pid)))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/%d/status".formatted(pid));
    }
}
