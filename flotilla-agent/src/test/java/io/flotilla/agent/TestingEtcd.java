package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A real one-member etcd on free loopback ports, its data in a folder of the test's. */
final class TestingEtcd implements AutoCloseable {
    private final Process process;
    private final int clientPort;

    TestingEtcd(Path dir) throws IOException {
        clientPort = freePort();
        int peerPort = freePort();
        Files.createDirectories(dir);
        process = new ProcessBuilder(List.of(
                        "etcd",
                        "--name=test",
                        "--data-dir=" + dir.resolve("data"),
                        "--listen-client-urls=http://127.0.0.1:" + clientPort,
                        "--advertise-client-urls=http://127.0.0.1:" + clientPort,
                        "--listen-peer-urls=http://127.0.0.1:" + peerPort,
                        "--initial-advertise-peer-urls=http://127.0.0.1:" + peerPort,
                        "--initial-cluster=test=http://127.0.0.1:" + peerPort))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("etcd.log").toFile())
                .start();
        assertEventually(Duration.ofSeconds(30), () -> {
            assertThat(process.isAlive())
                    .as(Files.readString(dir.resolve("etcd.log")))
                    .isTrue();
            try (Socket ignored = new Socket("127.0.0.1", clientPort)) {
                // listening
            }
        });
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + clientPort);
    }

    long pid() {
        return process.pid();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
