package io.flotilla.sql.protocol;

import io.flotilla.sql.SqlError;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: the handshake and authentication on the event loop, then each command on
 * a virtual thread of its own, one after the other in the order the client sent them. The timers
 * (connect_timeout until the password is checked, wait_timeout while no command runs) and the
 * login delay are scheduled on the connection's event loop, so a waiting client holds no thread.
 */
final class MysqlConnection extends SimpleChannelInboundHandler<MysqlPacket> {
    static final String CACHING_SHA2 = "caching_sha2_password";
    static final String NATIVE = "mysql_native_password";

    static final int ER_UNKNOWN_COM_ERROR = 1047;
    static final int ER_NET_PACKET_TOO_LARGE = 1153;
    static final int ER_HANDSHAKE_ERROR = 1043;
    static final int ER_SECURE_TRANSPORT_REQUIRED = 3159;
    static final int ER_CLIENT_INTERACTION_TIMEOUT = 4031;

    private static final int COM_QUIT = 0x01;
    private static final int COM_INIT_DB = 0x02;
    private static final int COM_QUERY = 0x03;
    private static final int COM_FIELD_LIST = 0x04;
    private static final int COM_PING = 0x0E;
    private static final int COM_STMT_PREPARE = 0x16;
    private static final int COM_STMT_CLOSE = 0x19;
    private static final int COM_SET_OPTION = 0x1B;
    private static final int COM_RESET_CONNECTION = 0x1F;

    private enum State {
        HANDSHAKE,
        AUTH_SWITCH,
        LOGIN_DELAY,
        COMMAND,
        CLOSED
    }

    private final SqlBackend backend;
    private final String serverVersion;
    private final long connectionId;
    private final Executor queries;
    private final ServerTls tls;
    private final ServerSettings settings;
    private final LoginFailures failures;
    private final Map<String, String> variables;
    private final byte[] nonce = Scramble.nonce();
    private boolean tlsActive;
    private ScheduledFuture<?> connectTimer;
    private ScheduledFuture<?> idleTimer;
    private ScheduledFuture<?> loginDelayTimer;
    private int running;
    private final List<MysqlPacket> heldDuringDelay = new ArrayList<>();

    private State state = State.HANDSHAKE;
    private int capabilities;
    private String user;
    private String database;
    private SqlBackend.Session session;
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

    /** @param variables the server's values of the system variables its settings are, for sessions to report */
    MysqlConnection(
            SqlBackend backend,
            String serverVersion,
            long connectionId,
            Executor queries,
            ServerTls tls,
            ServerSettings settings,
            LoginFailures failures,
            Map<String, String> variables) {
        this.backend = backend;
        this.serverVersion = serverVersion;
        this.connectionId = connectionId;
        this.queries = queries;
        this.tls = tls;
        this.settings = settings;
        this.failures = failures;
        this.variables = variables;
    }

    private int offered() {
        return Capabilities.SERVER | (tls == null ? 0 : Capabilities.SSL);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        byte[] handshake = new PayloadWriter()
                .int1(10)
                .nulString(serverVersion)
                .int4(connectionId)
                .bytes(java.util.Arrays.copyOfRange(nonce, 0, 8))
                .int1(0)
                .int2(offered() & 0xFFFF)
                .int1(ColumnType.UTF8MB4_GENERAL_CI)
                .int2(Responses.SERVER_STATUS_AUTOCOMMIT)
                .int2(offered() >>> 16)
                .int1(nonce.length + 1)
                .zeros(10)
                .bytes(java.util.Arrays.copyOfRange(nonce, 8, 20))
                .int1(0)
                .nulString(CACHING_SHA2)
                .toByteArray();
        ctx.writeAndFlush(new MysqlPacket(0, handshake));
        // MySQL's connect_timeout: a client that has not logged in by then is dropped silently, as
        // MySQL does; one that never completes its TLS handshake could not read an error anyway.
        connectTimer = schedule(
                ctx,
                () -> {
                    state = State.CLOSED;
                    ctx.close();
                },
                settings.connectTimeout());
    }

    private ScheduledFuture<?> schedule(ChannelHandlerContext ctx, Runnable task, Duration delay) {
        return ctx.executor().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, MysqlPacket packet) {
        switch (state) {
            case HANDSHAKE -> handshakeResponse(ctx, packet);
            case AUTH_SWITCH -> authSwitchResponse(ctx, packet);
            // Reading stops during the delay; what was read before waits for the answer.
            case LOGIN_DELAY -> heldDuringDelay.add(packet);
            case COMMAND -> command(ctx, packet);
            case CLOSED -> {}
        }
    }

    private void handshakeResponse(ChannelHandlerContext ctx, MysqlPacket packet) {
        PayloadReader in = new PayloadReader(packet.payload());
        int clientCapabilities = (int) in.int4();
        if ((clientCapabilities & Capabilities.PROTOCOL_41) == 0) {
            fail(
                    ctx,
                    packet.sequence() + 1,
                    ER_HANDSHAKE_ERROR,
                    "08S01",
                    "this server needs a client that speaks protocol 4.1");
            return;
        }
        if (PacketDecoder.isSslRequest(packet.payload()) && !tlsActive) {
            if (tls == null) {
                fail(
                        ctx,
                        packet.sequence() + 1,
                        ER_HANDSHAKE_ERROR,
                        "08S01",
                        "TLS is not offered by this server; connect without TLS (ssl-mode=DISABLED, --skip-ssl)");
                return;
            }
            // The decoder has put TLS in place; the handshake response comes through it.
            tlsActive = true;
            return;
        }
        if (settings.requireSecureTransport() && !tlsActive) {
            fail(
                    ctx,
                    packet.sequence() + 1,
                    ER_SECURE_TRANSPORT_REQUIRED,
                    "HY000",
                    "Connections using insecure transport are prohibited while --require_secure_transport=ON.");
            return;
        }
        capabilities = clientCapabilities & offered();
        in.skip(4 + 1 + 23);
        user = in.nulString();
        byte[] authResponse;
        if ((clientCapabilities & Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA) != 0) {
            authResponse = in.lengthEncodedBytes();
        } else if ((clientCapabilities & Capabilities.SECURE_CONNECTION) != 0) {
            authResponse = in.bytes(in.int1());
        } else {
            authResponse = in.nulBytes();
        }
        if ((clientCapabilities & Capabilities.CONNECT_WITH_DB) != 0 && in.hasMore()) {
            String requested = in.nulString();
            database = requested.isEmpty() ? null : requested;
        }
        String plugin = "";
        if ((clientCapabilities & Capabilities.PLUGIN_AUTH) != 0 && in.hasMore()) {
            plugin = in.nulString();
        }
        int sequence = packet.sequence() + 1;
        if (plugin.equals(CACHING_SHA2) || (plugin.isEmpty() && authResponse.length == 32)) {
            verify(ctx, sequence, authResponse, CACHING_SHA2);
        } else if (plugin.equals(NATIVE) || (plugin.isEmpty() && authResponse.length == 20)) {
            verify(ctx, sequence, authResponse, NATIVE);
        } else {
            byte[] request = new PayloadWriter()
                    .int1(0xFE)
                    .nulString(NATIVE)
                    .bytes(nonce)
                    .int1(0)
                    .toByteArray();
            state = State.AUTH_SWITCH;
            ctx.writeAndFlush(new MysqlPacket(sequence & 0xFF, request));
        }
    }

    private void authSwitchResponse(ChannelHandlerContext ctx, MysqlPacket packet) {
        verify(ctx, packet.sequence() + 1, packet.payload(), NATIVE);
    }

    /**
     * Checks the password at once and answers at once, or, from an address past the failed-login
     * threshold, after the delay, whether the password was right or not (as MySQL's
     * connection_control does). The delay is not connect_timeout's: the client has done its part.
     */
    private void verify(ChannelHandlerContext ctx, int sequence, byte[] authResponse, String plugin) {
        cancel(connectTimer);
        Optional<String> password = backend.password(user);
        boolean valid = password.isPresent()
                && authResponse.length > 0
                && Scramble.matches(
                        plugin.equals(NATIVE)
                                ? Scramble.nativePassword(password.get(), nonce)
                                : Scramble.cachingSha2Password(password.get(), nonce),
                        authResponse);
        InetAddress address = clientAddress(ctx);
        Duration delay = address == null ? Duration.ZERO : failures.delayFor(address);
        if (address != null) {
            if (valid) {
                failures.succeeded(address);
            } else {
                failures.failed(address);
            }
        }
        if (delay.isZero()) {
            answer(ctx, sequence, authResponse, plugin, valid ? password.get() : null);
            return;
        }
        state = State.LOGIN_DELAY;
        ctx.channel().config().setAutoRead(false);
        loginDelayTimer = schedule(
                ctx,
                () -> {
                    if (state != State.LOGIN_DELAY) {
                        return;
                    }
                    ctx.channel().config().setAutoRead(true);
                    answer(ctx, sequence, authResponse, plugin, valid ? password.get() : null);
                    for (MysqlPacket held : heldDuringDelay) {
                        channelRead0(ctx, held);
                    }
                    heldDuringDelay.clear();
                },
                delay);
    }

    /** @param password the account's password when the client gave it, else {@code null} */
    private void answer(ChannelHandlerContext ctx, int sequence, byte[] authResponse, String plugin, String password) {
        if (password == null) {
            fail(
                    ctx,
                    sequence,
                    SqlError.ER_ACCESS_DENIED_ERROR,
                    "28000",
                    "Access denied for user '%s'@'%s' (using password: %s)"
                            .formatted(user, clientHost(ctx), authResponse.length > 0 ? "YES" : "NO"));
            return;
        }
        state = State.COMMAND;
        ctx.pipeline().get(PacketDecoder.class).authenticated();
        int next = sequence;
        if (plugin.equals(CACHING_SHA2)) {
            // fast_auth_success: the scramble matched, no full authentication needed.
            ctx.write(new MysqlPacket(next++ & 0xFF, new byte[] {0x01, 0x03}));
        }
        int okSequence = next & 0xFF;
        byte[] proof = tlsActive && plugin.equals(NATIVE)
                ? Scramble.certificateProof(password, nonce, tls.fingerprint())
                : new byte[0];
        // Opening the session may read cluster state from disk: off the event loop.
        submit(ctx, () -> {
            try {
                session = backend.open(user, clientHost(ctx), database, variables);
            } catch (SqlError e) {
                fail(ctx, okSequence, e.code(), e.sqlState(), e.getMessage());
                return;
            }
            ctx.writeAndFlush(new MysqlPacket(okSequence, Responses.ok(0, 0, proof)));
        });
    }

    private void command(ChannelHandlerContext ctx, MysqlPacket packet) {
        cancel(idleTimer);
        try {
            dispatch(ctx, packet);
        } finally {
            waitForCommand(ctx);
        }
    }

    private void dispatch(ChannelHandlerContext ctx, MysqlPacket packet) {
        byte[] payload = packet.payload();
        if (payload.length == 0) {
            reply(ctx, List.of(Responses.error(ER_UNKNOWN_COM_ERROR, "08S01", "an empty command packet was received")));
            return;
        }
        int command = payload[0] & 0xFF;
        String argument = new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8);
        switch (command) {
            case COM_QUIT -> {
                state = State.CLOSED;
                ctx.close();
            }
            case COM_QUERY -> submit(ctx, () -> reply(ctx, query(argument)));
            case COM_INIT_DB ->
                submit(
                        ctx,
                        () -> reply(ctx, run(() -> {
                            session.use(argument);
                            return StatementResult.ok();
                        })));
            case COM_PING, COM_RESET_CONNECTION, COM_SET_OPTION ->
                submit(ctx, () -> reply(ctx, List.of(Responses.ok(0, 0))));
            case COM_FIELD_LIST -> submit(ctx, () -> reply(ctx, List.of(Responses.eof(0))));
            case COM_STMT_PREPARE ->
                submit(
                        ctx,
                        () -> reply(
                                ctx,
                                List.of(Responses.error(
                                        SqlError.ER_NOT_SUPPORTED_YET,
                                        "42000",
                                        "This version of Flotilla doesn't yet support 'prepared statements'; use the text protocol"
                                                + " (MySQL Connector/J: useServerPrepStmts=false, the default)"))));
            case COM_STMT_CLOSE -> {}
            default ->
                submit(
                        ctx,
                        () -> reply(
                                ctx,
                                List.of(Responses.error(
                                        ER_UNKNOWN_COM_ERROR, "08S01", "Unknown command 0x%02x".formatted(command)))));
        }
    }

    private List<byte[]> query(String sql) {
        return run(() -> session.execute(sql));
    }

    private List<byte[]> run(java.util.function.Supplier<StatementResult> statement) {
        StatementResult result;
        try {
            result = statement.get();
        } catch (SqlError e) {
            return List.of(Responses.error(e.code(), e.sqlState(), e.getMessage()));
        } catch (RuntimeException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            return List.of(Responses.error(SqlError.ER_UNKNOWN_ERROR, "HY000", message));
        }
        int warnings = session.warningCount();
        return switch (result) {
            case StatementResult.Ok ok -> List.of(Responses.ok(ok.affectedRows(), warnings));
            case StatementResult.Rows rows ->
                Responses.resultSet(rows, warnings, (capabilities & Capabilities.DEPRECATE_EOF) != 0);
        };
    }

    /** Writes a command's reply; the command phase numbers its packets from 1. */
    private static void reply(ChannelHandlerContext ctx, List<byte[]> payloads) {
        int sequence = 1;
        for (byte[] payload : payloads) {
            ctx.write(new MysqlPacket(sequence & 0xFF, payload));
            sequence += payload.length / PacketDecoder.MAX_PAYLOAD + 1;
        }
        ctx.flush();
    }

    /** Runs {@code task} after the ones before it; wait_timeout counts only while none is running. */
    private void submit(ChannelHandlerContext ctx, Runnable task) {
        running++;
        cancel(idleTimer);
        previous = previous.thenRunAsync(task, queries)
                .exceptionally(e -> {
                    ctx.writeAndFlush(
                            new MysqlPacket(1, Responses.error(SqlError.ER_UNKNOWN_ERROR, "HY000", String.valueOf(e))));
                    return null;
                })
                .whenComplete((ignored, alsoIgnored) -> ctx.executor().execute(() -> {
                    running--;
                    waitForCommand(ctx);
                }));
    }

    /**
     * MySQL's wait_timeout: a session that sends no command for that long is told so (error 4031,
     * as MySQL 8.0.24 and later send) and closed.
     */
    private void waitForCommand(ChannelHandlerContext ctx) {
        if (state != State.COMMAND || running > 0) {
            return;
        }
        cancel(idleTimer);
        idleTimer = schedule(
                ctx,
                () -> {
                    if (state == State.COMMAND && running == 0) {
                        fail(
                                ctx,
                                0,
                                ER_CLIENT_INTERACTION_TIMEOUT,
                                "HY000",
                                "The client was disconnected by the server because of inactivity."
                                        + " See wait_timeout and interactive_timeout for configuring this behavior.");
                    }
                },
                settings.waitTimeout());
    }

    private void fail(ChannelHandlerContext ctx, int sequence, int code, String sqlState, String message) {
        state = State.CLOSED;
        ctx.writeAndFlush(new MysqlPacket(sequence & 0xFF, Responses.error(code, sqlState, message)))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private static InetAddress clientAddress(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }

    private static String clientHost(ChannelHandlerContext ctx) {
        SocketAddress address = ctx.channel().remoteAddress();
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() == null
                    ? inet.getHostString()
                    : inet.getAddress().getHostAddress();
        }
        return "localhost";
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        cancel(connectTimer);
        cancel(idleTimer);
        cancel(loginDelayTimer);
        heldDuringDelay.clear();
        previous.thenRunAsync(
                () -> {
                    if (session != null) {
                        session.close();
                    }
                },
                queries);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && cause.getCause() instanceof TooLongFrameException tooLong) {
            fail(ctx, 1, ER_NET_PACKET_TOO_LARGE, "08S01", tooLong.getMessage());
        } else if (cause instanceof TooLongFrameException tooLong) {
            fail(ctx, 1, ER_NET_PACKET_TOO_LARGE, "08S01", tooLong.getMessage());
        } else if (cause instanceof IllegalArgumentException malformed) {
            fail(ctx, 1, ER_HANDSHAKE_ERROR, "08S01", "malformed packet: " + malformed.getMessage());
        } else {
            ctx.close();
        }
    }
}
