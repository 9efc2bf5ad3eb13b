package io.flotilla.exec;

import static io.flotilla.testing.Eventually.assertEventually;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH server on 127.0.0.1 and 127.0.0.2 (two hosts to a client) at a free port, with
 * its own ed25519 host key and the client keys it accepts, all in one temporary directory;
 * stopped by pid, with its sessions.
 */
final class TestingSshd implements AutoCloseable {
    static final String PASSPHRASE = "correct horse battery staple";

    final Path dir;
    final int port;
    final Path hostKey;
    final Path ed25519;
    final Path ed25519WithPassphrase;
    final Path rsa;
    final Path strangerKey;
    private final Process process;
    private final List<SshConnections> pools = new java.util.concurrent.CopyOnWriteArrayList<>();

    private TestingSshd(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
        this.hostKey = dir.resolve("ssh_host_ed25519_key");
        this.ed25519 = dir.resolve("id_ed25519");
        this.ed25519WithPassphrase = dir.resolve("id_ed25519_passphrase");
        this.rsa = dir.resolve("id_rsa");
        this.strangerKey = dir.resolve("id_stranger");
    }

    static TestingSshd start(Path dir) throws Exception {
        return start(dir, true);
    }

    /** A server whose sshd_config has no {@code Subsystem sftp} line, as some operators lock theirs down. */
    static TestingSshd startWithoutSftp(Path dir) throws Exception {
        return start(dir, false);
    }

    private static TestingSshd start(Path dir, boolean sftp) throws Exception {
        keygen(dir.resolve("ssh_host_ed25519_key"), "ed25519", "");
        keygen(dir.resolve("id_ed25519"), "ed25519", "");
        keygen(dir.resolve("id_ed25519_passphrase"), "ed25519", PASSPHRASE);
        keygen(dir.resolve("id_rsa"), "rsa", "");
        keygen(dir.resolve("id_stranger"), "ed25519", "");
        List<String> authorized = new ArrayList<>();
        for (String key : List.of("id_ed25519", "id_ed25519_passphrase", "id_rsa")) {
            authorized.add(Files.readString(dir.resolve(key + ".pub")).strip());
        }
        Files.write(dir.resolve("authorized_keys"), authorized);
        int port = freePort();
        Files.writeString(dir.resolve("sshd_config"), """
                Port %d
                ListenAddress 127.0.0.1
                ListenAddress 127.0.0.2
                HostKey %s
                PidFile %s
                AuthorizedKeysFile %s
                PermitRootLogin prohibit-password
                UsePAM no
                StrictModes no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                %s
                SetEnv SHLVL=1
                """.formatted(
                        port,
                        dir.resolve("ssh_host_ed25519_key"),
                        dir.resolve("sshd.pid"),
                        dir.resolve("authorized_keys"),
                        sftp ? "Subsystem sftp " + sftpServer(dir) : ""));
        // SHLVL=1 keeps bash from reading root's ~/.bashrc for each command, as it does for sshd's
        // top-level shells; on this machine that file runs pyenv and costs 250 ms a command.
        Files.createDirectories(Path.of("/run/sshd"));
        Process process = new ProcessBuilder(
                        "/usr/sbin/sshd",
                        "-D",
                        "-f",
                        dir.resolve("sshd_config").toString(),
                        "-E",
                        dir.resolve("sshd.log").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("sshd.out").toFile())
                .start();
        TestingSshd sshd = new TestingSshd(dir, port, process);
        try {
            assertEventually(Duration.ofSeconds(10), () -> {
                if (!process.isAlive()) {
                    throw new AssertionError("sshd exited: " + Files.readString(dir.resolve("sshd.out")));
                }
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                }
            });
        } catch (RuntimeException | Error e) {
            sshd.close();
            throw e;
        }
        return sshd;
    }

    /** OpenSSH's sftp-server behind a script that counts its starts, one per SFTP channel. */
    private static Path sftpServer(Path dir) throws IOException {
        Path script = dir.resolve("sftp-server");
        Files.writeString(script, """
                #!/bin/sh
                echo started >> %s
                exec /usr/lib/openssh/sftp-server "$@"
                """.formatted(dir.resolve("sftp-starts")));
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** How many SFTP channels were opened on this server so far. */
    int sftpChannelsOpened() throws IOException {
        Path starts = dir.resolve("sftp-starts");
        return Files.exists(starts) ? Files.readAllLines(starts).size() : 0;
    }

    /** A connection pool to this server as root, closed with the server. */
    SshConnections connect(int channelsPerSession, int sessions) throws IOException {
        SshConnections opened = SshConnections.start(rootOptions(), channelsPerSession, sessions);
        pools.add(opened);
        return opened;
    }

    /** Options for root with the ed25519 key, trusting this server's key on both its addresses. */
    SshOptions rootOptions() throws IOException {
        Path knownHosts = dir.resolve("known_hosts");
        Files.writeString(knownHosts, knownHostsLine("127.0.0.1") + "\n" + knownHostsLine("127.0.0.2") + "\n");
        return SshOptions.of("root", List.of(ed25519), knownHosts, dir.resolve("cluster_known_hosts"))
                .withPort(port);
    }

    /** The host key's line for a known_hosts file, as OpenSSH names a host on a non-22 port. */
    String knownHostsLine() throws IOException {
        return knownHostsLine("127.0.0.1");
    }

    String knownHostsLine(String host) throws IOException {
        String[] publicKey = Files.readString(dir.resolve("ssh_host_ed25519_key.pub"))
                .strip()
                .split(" ");
        return "[%s]:%d %s %s".formatted(host, port, publicKey[0], publicKey[1]);
    }

    /** TCP connections established to this server. */
    int connections() throws Exception {
        Process ss = new ProcessBuilder("ss", "-Htn", "state", "established", "( sport = :%d )".formatted(port))
                .redirectErrorStream(true)
                .start();
        String output;
        try (var in = ss.getInputStream();
                var ignored = ss.getOutputStream()) {
            output = new String(in.readAllBytes());
        }
        ss.waitFor(10, TimeUnit.SECONDS);
        return (int) output.lines().filter(line -> !line.isBlank()).count();
    }

    /** Kills the server's per-connection processes: every client sees its connection drop. */
    void dropConnections() {
        process.toHandle().children().forEach(ProcessHandle::destroyForcibly);
    }

    static void keygen(Path file, String type, String passphrase) throws Exception {
        List<String> command = new ArrayList<>(List.of("ssh-keygen", "-q", "-t", type, "-N", passphrase));
        if (type.equals("rsa")) {
            command.addAll(List.of("-b", "3072"));
        }
        command.addAll(List.of("-C", file.getFileName().toString(), "-f", file.toString()));
        Process keygen = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(keygen.getInputStream().readAllBytes());
        if (!keygen.waitFor(30, TimeUnit.SECONDS) || keygen.exitValue() != 0) {
            throw new IllegalStateException("ssh-keygen failed: " + output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Stops the server and the session processes it forked, by pid. */
    @Override
    public void close() {
        pools.forEach(SshConnections::close);
        ProcessHandle handle = process.toHandle();
        List<ProcessHandle> children = handle.descendants().toList();
        handle.destroy();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                handle.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
