package io.flotilla.exec;

import io.flotilla.wait.Wait;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.sftp.client.SftpClient.Attributes;

/**
 * The executor of one remote host over SSH. It holds one session (one TCP connection), opened
 * on first use and again if it dropped; each command or transfer is a channel on it. Closing
 * it closes the session; a later use opens a new one.
 */
final class SshExecutor implements Executor {
    /** How long a timed-out command has between TERM and KILL. */
    private static final Duration KILL_AFTER = Duration.ofSeconds(2);
    /** The exit codes of GNU timeout when it stopped the command: with TERM, or with KILL. */
    private static final int TIMED_OUT = 124;

    private static final int KILLED = 137;

    private final String host;
    private final SshConnections connections;
    private final SshOptions options;
    private final ReentrantLock sessionLock = new ReentrantLock();
    private final AtomicInteger inUse = new AtomicInteger();
    private final Semaphore channels = new Semaphore(SshConnections.CHANNELS_PER_SESSION);
    /**
     * One SFTP channel kept open between operations: opening one costs a channel, a subsystem
     * request, an sftp-server process on the host and a version handshake, and a deploy does
     * dozens of small file operations per host. Only one is kept, so that the channels in use
     * (bounded by {@link #channels}) plus this one stay within OpenSSH's MaxSessions.
     */
    private final AtomicReference<FinalModeSftpClient> idleSftp = new AtomicReference<>();

    /** Null until a file operation found out whether the host's sshd serves SFTP. */
    private volatile Boolean sftpServed;

    private volatile long lastUsed = System.nanoTime();
    private volatile ClientSession session;

    SshExecutor(String host, SshConnections connections) {
        this.host = host;
        this.connections = connections;
        this.options = connections.options();
    }

    @Override
    public String host() {
        return host;
    }

    private String target() {
        return "%s@%s:%d".formatted(options.user(), host, options.port());
    }

    @FunctionalInterface
    private interface Work<T> {
        T apply(ClientSession session) throws IOException;
    }

    private <T> T withChannel(String what, Work<T> work) {
        connections.acquireChannel(host, channels);
        inUse.incrementAndGet();
        try {
            return work.apply(session());
        } catch (IOException e) {
            throw new ExecException(host, "%s on %s failed: %s".formatted(what, host, describe(e)), e);
        } finally {
            lastUsed = System.nanoTime();
            inUse.decrementAndGet();
            connections.releaseChannel(channels);
        }
    }

    /** Runs SFTP work on the kept SFTP channel when it is free, else on a new one (kept afterwards if none is). */
    private <T> T withSftp(String what, SftpWork<T> work) {
        return withChannel(what, session -> {
            FinalModeSftpClient sftp = idleSftp.getAndSet(null);
            if (sftp != null && (!sftp.isOpen() || sftp.getClientSession() != session)) {
                sftp.close();
                sftp = null;
            }
            if (sftp == null) {
                sftp = sftp(session);
            }
            boolean kept = false;
            try {
                T result = work.apply(sftp);
                kept = idleSftp.compareAndSet(null, sftp);
                return result;
            } finally {
                if (!kept) {
                    sftp.close();
                }
            }
        });
    }

    @FunctionalInterface
    private interface SftpWork<T> {
        T apply(FinalModeSftpClient sftp) throws IOException;
    }

    private ClientSession session() {
        sessionLock.lock();
        try {
            if (session != null && session.isOpen() && session.isAuthenticated()) {
                return session;
            }
            if (session != null) {
                closeSession();
            }
            connections.acquireSession(this);
            try {
                session = connect();
            } catch (RuntimeException e) {
                connections.releaseSession();
                throw e;
            }
            return session;
        } finally {
            sessionLock.unlock();
        }
    }

    private ClientSession connect() {
        List<KeyPair> keys = new ArrayList<>();
        for (Path file : options.identityFiles()) {
            keys.add(connections.key(host, file));
        }
        ClientSession opened;
        try {
            ConnectFuture future = connections.client().connect(options.user(), host, options.port());
            if (!future.await(options.connectTimeout())) {
                future.cancel();
                throw new ExecException(
                        host,
                        "ssh %s: no connection within %s; check the address, the port and the firewall"
                                .formatted(target(), seconds(options.connectTimeout())));
            }
            if (future.getException() != null) {
                throw connectFailure(future.getException());
            }
            opened = future.getSession();
        } catch (IOException e) {
            throw connectFailure(e);
        }
        try {
            keys.forEach(opened::addPublicKeyIdentity);
            if (options.password().isPresent()) {
                opened.addPasswordIdentity(password(options.password().get()));
            }
            AuthFuture auth = opened.auth();
            boolean done = auth.await(options.authTimeout());
            Optional<String> refusal = done && auth.isSuccess()
                    ? Optional.empty()
                    : connections.hostKeys().refusal(host, options.port());
            if (refusal.isPresent()) {
                throw new ExecException(host, "ssh %s: %s".formatted(target(), refusal.get()));
            }
            if (!done) {
                throw new ExecException(
                        host,
                        "ssh %s: authentication did not finish within %s with %s; check that the host is an SSH server that answers"
                                .formatted(target(), seconds(options.authTimeout()), tried()));
            }
            if (!auth.isSuccess()) {
                String advice = options.password().isPresent()
                        ? options.identityFiles().isEmpty() ? "check the password" : "check the key and the password"
                        : "check that its public key is in the authorized_keys of %s on %s"
                                .formatted(options.user(), host);
                // A refusal ends with no method left; anything else (the host closed the session, say)
                // is worth naming, since the key may well be right.
                Throwable cause = auth.getException();
                String detail = cause == null
                                || cause.getMessage() == null
                                || cause.getMessage().contains("No more authentication methods available")
                        ? ""
                        : " (%s)".formatted(describe(cause));
                throw new ExecException(
                        host,
                        "ssh %s: authentication failed with %s%s; %s".formatted(target(), tried(), detail, advice));
            }
            return opened;
        } catch (IOException | RuntimeException e) {
            opened.close(true);
            if (e instanceof ExecException exec) {
                throw exec;
            }
            throw new ExecException(host, "ssh %s: %s".formatted(target(), describe(e)), e);
        }
    }

    private String tried() {
        List<String> parts = new ArrayList<>();
        for (Path file : options.identityFiles()) {
            String type = KeyUtils.getKeyType(connections.key(host, file));
            parts.add("key %s (%s)".formatted(file, type.startsWith("ssh-") ? type.substring(4) : type));
        }
        options.password().ifPresent(password -> parts.add(password.description()));
        return String.join(" and ", parts);
    }

    private ExecException connectFailure(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException) {
                return new ExecException(
                        host,
                        "ssh %s: connection refused; check that sshd runs on %s and listens on port %d"
                                .formatted(target(), host, options.port()),
                        e);
            }
        }
        return new ExecException(host, "ssh %s: cannot connect: %s".formatted(target(), describe(e)), e);
    }

    private String password(SshPassword password) {
        try {
            return password.read();
        } catch (ExecException e) {
            throw new ExecException(host, e.getMessage(), e.getCause());
        }
    }

    boolean idle() {
        return inUse.get() == 0 && session != null;
    }

    long lastUsed() {
        return lastUsed;
    }

    /** Closes the session to free its slot, unless a command is using it. */
    boolean closeIfIdle() {
        if (!sessionLock.tryLock()) {
            return false;
        }
        try {
            if (inUse.get() != 0 || session == null) {
                return false;
            }
            closeSession();
            return true;
        } finally {
            sessionLock.unlock();
        }
    }

    private void closeSession() {
        FinalModeSftpClient sftp = idleSftp.getAndSet(null);
        if (sftp != null) {
            try {
                sftp.close();
            } catch (IOException ignored) {
                // The session closes next, and the channel with it.
            }
        }
        ClientSession closing = session;
        session = null;
        closing.close(false).awaitUninterruptibly(Duration.ofSeconds(5));
        closing.close(true);
        connections.releaseSession();
    }

    @Override
    public CommandResult run(List<String> command, Duration timeout) {
        // The host enforces the timeout: OpenSSH refuses "signal" requests in root sessions, and
        // closing the channel does not stop a command that neither reads nor writes. GNU timeout
        // signals the command's whole process group, TERM first, KILL if that is not enough.
        return execute(command, timeoutLine(command, timeout), timeout);
    }

    private static String timeoutLine(List<String> command, Duration timeout) {
        return "timeout --kill-after=%ds %s %s"
                .formatted(KILL_AFTER.toSeconds(), remoteSeconds(timeout), ShellQuoting.join(command));
    }

    private CommandResult execute(List<String> command, String commandLine, Duration timeout) {
        return withChannel(String.join(" ", command), session -> {
            ByteArrayOutputStream stdout = new ByteArrayOutputStream();
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            long started = System.nanoTime();
            try (ChannelExec channel = openExec(session, commandLine, stdout, stderr)) {
                // The command reads an empty stdin, as with </dev/null, rather than waiting on ours.
                channel.getInvertedIn().close();
                Set<ClientChannelEvent> events = channel.waitFor(
                        EnumSet.of(ClientChannelEvent.CLOSED),
                        timeout.plus(KILL_AFTER).plus(KILL_AFTER).toMillis());
                int exitCode = finishedExitCode(channel, events, command, timeout, started);
                return new CommandResult(
                        exitCode, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
            }
        });
    }

    @Override
    public CommandResult stream(List<String> command, InputStream in, OutputStream out, Duration timeout) {
        String line = timeoutLine(command, timeout);
        return withChannel(String.join(" ", command), session -> {
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            long started = System.nanoTime();
            try (ChannelExec channel = openExec(session, line, out, stderr)) {
                try (OutputStream stdin = channel.getInvertedIn()) {
                    in.transferTo(stdin);
                } catch (IOException ignored) {
                    // The command stopped reading: its exit code and stderr say why.
                }
                Set<ClientChannelEvent> events = channel.waitFor(
                        EnumSet.of(ClientChannelEvent.CLOSED),
                        Math.max(
                                1,
                                timeout.plus(KILL_AFTER).plus(KILL_AFTER).toMillis()
                                        - Duration.ofNanos(System.nanoTime() - started)
                                                .toMillis()));
                int exitCode = finishedExitCode(channel, events, command, timeout, started);
                out.flush();
                return new CommandResult(exitCode, "", stderr.toString(StandardCharsets.UTF_8));
            }
        });
    }

    /** Opens an exec channel for {@code commandLine}, its output going to {@code out} and {@code err}. */
    private ChannelExec openExec(ClientSession session, String commandLine, OutputStream out, OutputStream err)
            throws IOException {
        return retryingOpen(() -> {
            ChannelExec opening = session.createExecChannel(commandLine);
            opening.setOut(out);
            opening.setErr(err);
            try {
                opening.open().verify(options.connectTimeout());
            } catch (IOException | RuntimeException e) {
                opening.close(true);
                throw e;
            }
            return opening;
        });
    }

    /**
     * The exit code of a command whose channel was waited for; a channel still open, or a command
     * that GNU timeout stopped after its time was up, is a command that did not finish in time.
     */
    private int finishedExitCode(
            ChannelExec channel, Set<ClientChannelEvent> events, List<String> command, Duration timeout, long started) {
        boolean overdue = System.nanoTime() - started >= timeout.toNanos();
        int exitCode = exitCode(channel);
        if (!events.contains(ClientChannelEvent.CLOSED) || (overdue && (exitCode == TIMED_OUT || exitCode == KILLED))) {
            channel.close(true);
            throw new ExecException(
                    host,
                    "%s did not finish on %s within %s".formatted(String.join(" ", command), host, seconds(timeout)));
        }
        return exitCode;
    }

    private static int exitCode(ChannelExec channel) {
        Integer status = channel.getExitStatus();
        if (status != null) {
            return status;
        }
        // Killed by a signal: report it as a shell does, 128 + the signal's number.
        String signal = channel.getExitSignal();
        return switch (signal == null ? "" : signal) {
            case "HUP" -> 129;
            case "INT" -> 130;
            case "KILL" -> 137;
            case "SEGV" -> 139;
            case "PIPE" -> 141;
            case "TERM" -> 143;
            default -> 255;
        };
    }

    @Override
    public boolean exists(String path) {
        if (!sftpServed()) {
            return ShellFiles.exists(this, path, options.commandTimeout());
        }
        return withSftp("exists " + path, sftp -> SftpFiles.statOrNull(sftp, path) != null);
    }

    @Override
    public void mkdirs(String path, String mode) {
        if (!sftpServed()) {
            ShellFiles.createDirectories(this, path, mode, options.commandTimeout());
            return;
        }
        int permissions = Integer.parseInt(mode, 8);
        withSftp("mkdir " + path, sftp -> {
            SftpFiles.createDirectories(sftp, host, path, permissions);
            return null;
        });
    }

    @Override
    public boolean put(String path, byte[] content, String mode) {
        return transfer(
                path,
                mode,
                content.length,
                () -> sha256(new ByteArrayInputStream(content)),
                () -> new ByteArrayInputStream(content));
    }

    @Override
    public boolean copy(Path localFile, String path, String mode) {
        long size;
        try {
            size = Files.size(localFile);
        } catch (IOException e) {
            throw new ExecException(host, "cannot read %s: %s".formatted(localFile, describe(e)), e);
        }
        return transfer(
                path,
                mode,
                size,
                () -> {
                    try (InputStream in = Files.newInputStream(localFile)) {
                        return sha256(in);
                    } catch (IOException e) {
                        throw new ExecException(host, "cannot read %s: %s".formatted(localFile, describe(e)), e);
                    }
                },
                () -> Files.newInputStream(localFile, StandardOpenOption.READ));
    }

    /**
     * Sends content unless the remote file has it already. An SFTP stat comes first: a missing
     * file, or one of another size or mode, is written without further ado (the common case on
     * a new host). Otherwise the remote side computes its own checksum with sha256sum: a
     * multi-megabyte tarball is then compared by 64 bytes of output instead of being read back.
     */
    private boolean transfer(
            String path, String mode, long size, Supplier<String> checksum, SftpFiles.Content content) {
        int permissions = Integer.parseInt(mode, 8);
        if (!sftpServed()) {
            if (ShellFiles.unchanged(this, path, size, permissions, checksum, options.commandTimeout())) {
                return false;
            }
            try (InputStream in = content.open()) {
                ShellFiles.write(this, path, mode, in, options.commandTimeout());
            } catch (IOException e) {
                throw new ExecException(host, "cannot write %s on %s: %s".formatted(path, host, describe(e)), e);
            }
            return true;
        }
        Attributes existing = withSftp("stat " + path, sftp -> SftpFiles.statOrNull(sftp, path));
        if (existing != null
                && existing.isRegularFile()
                && existing.getSize() == size
                && (existing.getPermissions() & 07777) == permissions) {
            CommandResult state = run(List.of("sha256sum", "--", path), options.commandTimeout());
            if (state.succeeded() && state.stdout().startsWith(checksum.get() + " ")) {
                return false;
            }
        }
        withSftp("write " + path, sftp -> {
            SftpFiles.write(sftp, host, path, permissions, content);
            return null;
        });
        return true;
    }

    @Override
    public void remove(String path) {
        if (SftpFiles.normalize(path).equals("/") || path.isBlank()) {
            throw new IllegalArgumentException("refusing to remove " + path);
        }
        check(List.of("rm", "-rf", "--", path), options.commandTimeout());
    }

    @Override
    public void startDetached(List<String> command, String logFile) {
        String line = "setsid --fork %s >> %s 2>&1 < /dev/null"
                .formatted(ShellQuoting.join(command), ShellQuoting.quote(logFile));
        CommandResult result = execute(List.of("setsid", "--fork", command.getFirst()), line, Duration.ofSeconds(30));
        if (!result.succeeded()) {
            throw new ExecException(
                    host,
                    "cannot start %s on %s (exit code %d); see %s: %s"
                            .formatted(
                                    command.getFirst(),
                                    host,
                                    result.exitCode(),
                                    logFile,
                                    Executor.lastLines(result.stderr().strip(), 5)));
        }
    }

    @Override
    public void close() {
        sessionLock.lock();
        try {
            if (session != null) {
                closeSession();
            }
        } finally {
            sessionLock.unlock();
        }
    }

    private FinalModeSftpClient sftp(ClientSession session) throws IOException {
        return retryingOpen(() -> FinalModeSftpClient.open(session));
    }

    /**
     * Whether the host's sshd serves SFTP, found out by the first file operation (which keeps the
     * channel it opened). A host without it gets its files through {@link ShellFiles}.
     */
    private boolean sftpServed() {
        Boolean known = sftpServed;
        if (known != null) {
            return known;
        }
        known = withChannel("open SFTP", session -> {
            FinalModeSftpClient sftp;
            try {
                sftp = sftp(session);
            } catch (IOException e) {
                if (!session.isOpen() || !subsystemRefused(e)) {
                    throw e;
                }
                return false;
            }
            if (!idleSftp.compareAndSet(null, sftp)) {
                sftp.close();
            }
            return true;
        });
        sftpServed = known;
        return known;
    }

    private static boolean subsystemRefused(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && cause.getMessage().contains("SftpChannelSubsystem")) {
                return true;
            }
        }
        return false;
    }

    @FunctionalInterface
    private interface Opening<T> {
        T open() throws IOException;
    }

    /**
     * Opens a channel, waiting a little when the server refuses one: sshd frees a channel's slot
     * (MaxSessions) a moment after the channel closed, so a full session can refuse briefly.
     */
    private <T> T retryingOpen(Opening<T> opening) throws IOException {
        AtomicReference<IOException> refused = new AtomicReference<>();
        Optional<T> opened;
        try {
            opened = Wait.poll(options.connectTimeout(), Duration.ofMillis(5), Duration.ofMillis(200), () -> {
                try {
                    return Optional.of(opening.open());
                } catch (IOException e) {
                    if (!refusedChannel(e)) {
                        throw e;
                    }
                    refused.set(e);
                    return Optional.empty();
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while opening a channel to " + host);
        }
        if (opened.isEmpty()) {
            throw refused.get();
        }
        return opened.get();
    }

    private static boolean refusedChannel(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SshChannelOpenException) {
                return true;
            }
        }
        return false;
    }

    private static String sha256(InputStream in) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (DigestInputStream digesting = new DigestInputStream(in, digest)) {
                digesting.transferTo(OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String remoteSeconds(Duration duration) {
        return "%d.%03ds".formatted(duration.toSeconds(), duration.toMillisPart());
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() < 1000 ? duration.toMillis() + " ms" : duration.toSeconds() + " s";
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
