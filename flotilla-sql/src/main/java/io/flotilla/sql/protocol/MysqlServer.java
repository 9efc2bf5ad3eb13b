package io.flotilla.sql.protocol;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A MySQL protocol endpoint on Netty: two event-loop threads move bytes; each statement runs on a
 * virtual thread so that a slow fan-out never blocks other connections. What a client may do
 * before and after it logs in is bounded by {@link ServerSettings}.
 */
public final class MysqlServer implements AutoCloseable {
    /**
     * What clients see as the server version. MySQL Connector/J reads the 8.0 number to choose its
     * init queries; MariaDB clients treat any version without "MariaDB" as a MySQL server.
     */
    public static final String SERVER_VERSION = "8.0.36-flotilla";

    public static final int MAX_ALLOWED_PACKET = 64 * 1024 * 1024;

    static final int ER_CON_COUNT_ERROR = 1040;

    private final EventLoopGroup loops;
    private final ExecutorService queries;
    private final Channel channel;
    private final AtomicInteger connections;

    private MysqlServer(EventLoopGroup loops, ExecutorService queries, Channel channel, AtomicInteger connections) {
        this.loops = loops;
        this.queries = queries;
        this.channel = channel;
        this.connections = connections;
    }

    /**
     * Listens on {@code address} (port 0 picks a free one), without TLS, with MySQL's defaults.
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public static MysqlServer start(InetSocketAddress address, SqlBackend backend) {
        return start(address, backend, null, ServerSettings.defaults(false));
    }

    /**
     * Listens on {@code address}, offering TLS with {@code tls}, with MySQL's defaults and
     * require_secure_transport on unless {@code address} is a loopback one.
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public static MysqlServer start(InetSocketAddress address, SqlBackend backend, ServerTls tls) {
        requireNonNull(tls, "tls is null");
        return start(address, backend, tls, ServerSettings.defaults(requiresSecureTransport(address)));
    }

    /** What require_secure_transport is by default: on, unless the server listens on loopback only. */
    public static boolean requiresSecureTransport(InetSocketAddress address) {
        return address.getAddress() == null || !address.getAddress().isLoopbackAddress();
    }

    /**
     * Listens on {@code address}, offering TLS with {@code tls} ({@code null}: no TLS).
     *
     * @throws IllegalArgumentException when the settings require TLS that is not offered
     * @throws IllegalStateException when the address cannot be bound
     */
    public static MysqlServer start(
            InetSocketAddress address, SqlBackend backend, ServerTls tls, ServerSettings settings) {
        requireNonNull(address, "address is null");
        requireNonNull(backend, "backend is null");
        requireNonNull(settings, "settings is null");
        if (settings.requireSecureTransport() && tls == null) {
            throw new IllegalArgumentException("require_secure_transport needs TLS, and none is offered");
        }
        LoginFailures failures = new LoginFailures(settings.loginDelay(), LoginFailures.CAPACITY);
        Map<String, String> variables = variables(settings, tls != null);
        AtomicInteger connections = new AtomicInteger();
        EventLoopGroup loops =
                new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("sql-io", true), NioIoHandler.newFactory());
        ExecutorService queries = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("sql-query-", 0).factory());
        AtomicLong connectionIds = new AtomicLong();
        try {
            Channel channel = new ServerBootstrap()
                    .group(loops)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // Counted from accept: clients that have not logged in count too.
                            int open = connections.incrementAndGet();
                            ch.closeFuture().addListener(closed -> connections.decrementAndGet());
                            if (open > settings.maxConnections()) {
                                refuse(ch);
                                return;
                            }
                            ch.pipeline()
                                    .addLast(PacketDecoder.PACKETS, new PacketDecoder(MAX_ALLOWED_PACKET, tls))
                                    .addLast(new PacketEncoder())
                                    .addLast(new MysqlConnection(
                                            backend,
                                            SERVER_VERSION,
                                            connectionIds.incrementAndGet(),
                                            queries,
                                            tls,
                                            settings,
                                            failures,
                                            variables));
                        }
                    })
                    .bind(address)
                    .syncUninterruptibly()
                    .channel();
            return new MysqlServer(loops, queries, channel, connections);
        } catch (RuntimeException e) {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            queries.shutdownNow();
            throw new IllegalStateException(
                    "cannot listen for SQL clients on %s:%d: %s; choose another address or stop what holds it"
                            .formatted(address.getHostString(), address.getPort(), e.getMessage()),
                    e);
        }
    }

    /** MySQL's ER_CON_COUNT_ERROR in place of the greeting, as MySQL sends it past max_connections. */
    private static void refuse(SocketChannel ch) {
        ch.pipeline().addLast(new PacketEncoder());
        ch.config().setAutoRead(false);
        ch.writeAndFlush(new MysqlPacket(0, Responses.errorBeforeGreeting(ER_CON_COUNT_ERROR, "Too many connections")))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** The system variables these settings are, as sessions report them. */
    private static Map<String, String> variables(ServerSettings settings, boolean tls) {
        return Map.of(
                "connect_timeout", String.valueOf(settings.connectTimeout().toSeconds()),
                "wait_timeout", String.valueOf(settings.waitTimeout().toSeconds()),
                "interactive_timeout", String.valueOf(settings.waitTimeout().toSeconds()),
                "max_connections", String.valueOf(settings.maxConnections()),
                "require_secure_transport", settings.requireSecureTransport() ? "ON" : "OFF",
                "have_ssl", tls ? "YES" : "DISABLED",
                "max_allowed_packet", String.valueOf(MAX_ALLOWED_PACKET));
    }

    /** The client connections open now, logged in or not. */
    public int connections() {
        return connections.get();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public int port() {
        return address().getPort();
    }

    /** Blocks until the listening socket is closed. */
    public void awaitClose() {
        channel.closeFuture().syncUninterruptibly();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        queries.shutdownNow();
    }
}
