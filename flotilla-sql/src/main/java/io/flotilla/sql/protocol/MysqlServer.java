package io.flotilla.sql.protocol;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A MySQL protocol endpoint on Netty: two event-loop threads move bytes; each statement runs on a
 * virtual thread so that a slow fan-out never blocks other connections.
 */
public final class MysqlServer implements AutoCloseable {
    /**
     * What clients see as the server version. MySQL Connector/J reads the 8.0 number to choose its
     * init queries; MariaDB clients treat any version without "MariaDB" as a MySQL server.
     */
    public static final String SERVER_VERSION = "8.0.36-flotilla";

    public static final int MAX_ALLOWED_PACKET = 64 * 1024 * 1024;

    private final EventLoopGroup loops;
    private final ExecutorService queries;
    private final Channel channel;

    private MysqlServer(EventLoopGroup loops, ExecutorService queries, Channel channel) {
        this.loops = loops;
        this.queries = queries;
        this.channel = channel;
    }

    /**
     * Listens on {@code address} (port 0 picks a free one).
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public static MysqlServer start(InetSocketAddress address, SqlBackend backend) {
        return start(address, backend, null);
    }

    /**
     * Listens on {@code address}, offering TLS with {@code tls} ({@code null}: no TLS).
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public static MysqlServer start(InetSocketAddress address, SqlBackend backend, ServerTls tls) {
        requireNonNull(address, "address is null");
        requireNonNull(backend, "backend is null");
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
                            ch.pipeline()
                                    .addLast("packets", new PacketDecoder(MAX_ALLOWED_PACKET, tls))
                                    .addLast(new PacketEncoder())
                                    .addLast(new MysqlConnection(
                                            backend, SERVER_VERSION, connectionIds.incrementAndGet(), queries, tls));
                        }
                    })
                    .bind(address)
                    .syncUninterruptibly()
                    .channel();
            return new MysqlServer(loops, queries, channel);
        } catch (RuntimeException e) {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            queries.shutdownNow();
            throw new IllegalStateException(
                    "cannot listen for SQL clients on %s:%d: %s; choose another address or stop what holds it"
                            .formatted(address.getHostString(), address.getPort(), e.getMessage()),
                    e);
        }
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
