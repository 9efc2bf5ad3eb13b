package io.flotilla.sql.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Frames payloads as MySQL packets, splitting one of 0xFFFFFF bytes or more as the protocol says. */
final class PacketEncoder extends MessageToByteEncoder<MysqlPacket> {
    @Override
    protected void encode(ChannelHandlerContext ctx, MysqlPacket packet, ByteBuf out) {
        byte[] payload = packet.payload();
        int sequence = packet.sequence();
        int offset = 0;
        while (true) {
            int length = Math.min(PacketDecoder.MAX_PAYLOAD, payload.length - offset);
            out.writeMediumLE(length);
            out.writeByte(sequence);
            out.writeBytes(payload, offset, length);
            offset += length;
            sequence = (sequence + 1) & 0xFF;
            // A payload of exactly a multiple of 0xFFFFFF bytes ends with an empty packet.
            if (length < PacketDecoder.MAX_PAYLOAD) {
                return;
            }
        }
    }
}
