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
    private ByteArrayOutputStream pending;

    PacketDecoder(int maxMessage) {
        this.maxMessage = maxMessage;
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
