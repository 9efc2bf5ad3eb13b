package io.flotilla.sql.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * Splits the byte stream into MySQL packets (3-byte little-endian length, 1-byte sequence id) and
 * joins a payload that the client split at 0xFFFFFF bytes.
 */
final class PacketDecoder extends ByteToMessageDecoder {
    static final int MAX_PAYLOAD = 0xFFFFFF;

    private final int maxMessage;
    private final ServerTls tls;
    private boolean first = true;
    private ByteArrayOutputStream pending;

    /** @param tls offered to clients whose first packet is an SSLRequest, or {@code null} */
    PacketDecoder(int maxMessage, ServerTls tls) {
        this.maxMessage = maxMessage;
        this.tls = tls;
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
        ctx.pipeline().addAfter("tls", "packets-tls", new PacketDecoder(maxMessage, null));
        ctx.pipeline().remove(this);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 4) {
            int length = in.getUnsignedMediumLE(in.readerIndex());
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
                continue;
            }
            if (pending == null) {
                pending = new ByteArrayOutputStream();
            }
            if (pending.size() + length > maxMessage) {
                pending = null;
                throw new TooLongFrameException(
                        "a packet of more than %d bytes (max_allowed_packet) was received".formatted(maxMessage));
            }
            pending.writeBytes(chunk);
            if (length < MAX_PAYLOAD) {
                out.add(new MysqlPacket(sequence, pending.toByteArray()));
                pending = null;
            }
        }
    }
}
