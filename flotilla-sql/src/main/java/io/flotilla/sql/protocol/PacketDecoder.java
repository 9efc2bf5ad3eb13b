package io.flotilla.sql.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * Splits the byte stream into MySQL packets (3-byte little-endian length, 1-byte sequence id) and
 * joins a payload that the client split at 0xFFFFFF bytes. A packet's length is checked as soon as
 * its header arrives, so a client that announces more than it may send is refused before any of it
 * is buffered: until {@link #authenticated()}, at {@link #MAX_BEFORE_AUTHENTICATION}.
 */
final class PacketDecoder extends ByteToMessageDecoder {
    static final int MAX_PAYLOAD = 0xFFFFFF;
    static final String PACKETS = "packets";
    static final String PACKETS_TLS = "packets-tls";

    /**
     * The largest packet before authentication: MySQL's net_buffer_length default. A handshake
     * response with connection attributes is a few hundred bytes (MySQL caps the attributes at 64 KB).
     */
    static final int MAX_BEFORE_AUTHENTICATION = 16 * 1024;

    private final int maxMessage;
    private final ServerTls tls;
    private boolean first = true;
    private boolean authenticated;
    private boolean refused;
    private ByteArrayOutputStream pending;

    /** @param tls offered to clients whose first packet is an SSLRequest, or {@code null} */
    PacketDecoder(int maxMessage, ServerTls tls) {
        this.maxMessage = maxMessage;
        this.tls = tls;
    }

    /** The client logged in: from now on a message may be as large as max_allowed_packet. */
    void authenticated() {
        authenticated = true;
    }

    /** A client's SSLRequest: the first 32 bytes of a handshake response, with the SSL flag. */
    static boolean isSslRequest(byte[] payload) {
        return payload.length == 32 && (payload[1] & (Capabilities.SSL >>> 8)) != 0;
    }

    /**
     * TLS starts right after the SSLRequest, possibly in the same read: this decoder leaves, and
     * the bytes it still holds go to the TLS handler put in its place, then to a plain decoder.
     */
    private void startTls(ChannelHandlerContext ctx) {
        first = false;
        ctx.pipeline().addAfter(ctx.name(), "tls", tls.context().newHandler(ctx.alloc()));
        ctx.pipeline().addAfter("tls", PACKETS_TLS, new PacketDecoder(maxMessage, null));
        ctx.pipeline().remove(this);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.readableBytes() >= 4) {
            int length = in.getUnsignedMediumLE(in.readerIndex());
            refuseTooLong(length);
            if (in.readableBytes() < 4 + length) {
                return;
            }
            in.skipBytes(3);
            int sequence = in.readUnsignedByte();
            byte[] chunk = new byte[length];
            in.readBytes(chunk);
            if (pending == null && length < MAX_PAYLOAD) {
                out.add(new MysqlPacket(sequence, chunk));
                if (first && tls != null && isSslRequest(chunk)) {
                    startTls(ctx);
                    return;
                }
                first = false;
                if (!authenticated) {
                    // The connection sees this packet, and may log the client in, before the next
                    // header is checked against the limit.
                    return;
                }
                continue;
            }
            if (pending == null) {
                pending = new ByteArrayOutputStream();
            }
            pending.writeBytes(chunk);
            if (length < MAX_PAYLOAD) {
                out.add(new MysqlPacket(sequence, pending.toByteArray()));
                pending = null;
            }
        }
    }

    /** Refuses, from its header, a packet that would take the message past the limit; the rest is dropped. */
    private void refuseTooLong(int length) {
        long message = (pending == null ? 0L : pending.size()) + length;
        if (!authenticated && message > MAX_BEFORE_AUTHENTICATION) {
            refused = true;
            pending = null;
            throw new TooLongFrameException(
                    "a packet of %d bytes was announced before login, more than the %d bytes a handshake may use"
                            .formatted(message, MAX_BEFORE_AUTHENTICATION));
        }
        if (message > maxMessage) {
            refused = true;
            pending = null;
            throw new TooLongFrameException(
                    "a packet of more than %d bytes (max_allowed_packet) was received".formatted(maxMessage));
        }
    }
}
