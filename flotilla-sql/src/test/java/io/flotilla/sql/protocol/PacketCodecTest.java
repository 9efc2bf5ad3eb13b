package io.flotilla.sql.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PacketCodecTest {
    @Test
    void aPayloadOf16MegabytesOrMoreIsSplitAndJoinedAgain() {
        byte[] payload = new byte[PacketDecoder.MAX_PAYLOAD + 10];
        Arrays.fill(payload, (byte) 'x');
        payload[payload.length - 1] = 'y';
        EmbeddedChannel encoder = new EmbeddedChannel(new PacketEncoder());
        encoder.writeOutbound(new MysqlPacket(3, payload));
        ByteBuf wire = encoder.readOutbound();
        assertThat(wire.readableBytes()).isEqualTo(payload.length + 8);
        assertThat(wire.getUnsignedMediumLE(0)).isEqualTo(PacketDecoder.MAX_PAYLOAD);
        assertThat(wire.getUnsignedByte(3)).isEqualTo((short) 3);
        assertThat(wire.getUnsignedMediumLE(4 + PacketDecoder.MAX_PAYLOAD)).isEqualTo(10);
        assertThat(wire.getUnsignedByte(7 + PacketDecoder.MAX_PAYLOAD)).isEqualTo((short) 4);

        EmbeddedChannel decoder = new EmbeddedChannel(authenticated(new PacketDecoder(64 * 1024 * 1024, null)));
        // Arrives in two TCP reads cut in the middle of the second header.
        decoder.writeInbound(wire.readRetainedSlice(PacketDecoder.MAX_PAYLOAD + 6));
        assertThat((Object) decoder.readInbound()).isNull();
        decoder.writeInbound(wire);
        MysqlPacket joined = decoder.readInbound();
        assertThat(joined.sequence()).isEqualTo(4);
        assertThat(joined.payload()).isEqualTo(payload);
    }

    @Test
    void aPayloadOfExactly16MegabytesEndsWithAnEmptyPacket() {
        byte[] payload = new byte[PacketDecoder.MAX_PAYLOAD];
        EmbeddedChannel channel =
                new EmbeddedChannel(new PacketEncoder(), authenticated(new PacketDecoder(64 * 1024 * 1024, null)));
        channel.writeOutbound(new MysqlPacket(0, payload));
        ByteBuf wire = channel.readOutbound();
        assertThat(wire.readableBytes()).isEqualTo(payload.length + 8);
        channel.writeInbound(wire);
        MysqlPacket joined = channel.readInbound();
        assertThat(joined.payload()).hasSize(PacketDecoder.MAX_PAYLOAD);
        assertThat(joined.sequence()).isEqualTo(1);
    }

    @Test
    void aMessageLargerThanMaxAllowedPacketIsRefused() {
        EmbeddedChannel decoder =
                new EmbeddedChannel(authenticated(new PacketDecoder(PacketDecoder.MAX_PAYLOAD, null)));
        ByteBuf wire = Unpooled.buffer();
        wire.writeMediumLE(PacketDecoder.MAX_PAYLOAD).writeByte(0).writeZero(PacketDecoder.MAX_PAYLOAD);
        wire.writeMediumLE(1).writeByte(1).writeZero(1);
        assertThatThrownBy(() -> decoder.writeInbound(wire))
                .isInstanceOf(DecoderException.class)
                .hasMessageEndingWith("a packet of more than 16777215 bytes (max_allowed_packet) was received");
    }

    @Test
    void beforeLoginAPacketAnnouncedLargerThan16KilobytesIsRefusedFromItsHeaderAlone() {
        EmbeddedChannel decoder = new EmbeddedChannel(new PacketDecoder(MysqlServer.MAX_ALLOWED_PACKET, null));
        ByteBuf header =
                Unpooled.buffer().writeMediumLE(PacketDecoder.MAX_PAYLOAD).writeByte(1);
        assertThatThrownBy(() -> decoder.writeInbound(header))
                .isInstanceOf(DecoderException.class)
                .hasMessageEndingWith(
                        "a packet of 16777215 bytes was announced before login, more than the 16384 bytes a handshake"
                                + " may use");
        // What the client trickles after the header is dropped, not kept for a packet never delivered.
        ByteBuf trickle = Unpooled.buffer().writeZero(64 * 1024);
        decoder.writeInbound(trickle);
        assertThat((Object) decoder.readInbound()).isNull();
    }

    @Test
    void beforeLoginAPacketOf16KilobytesPassesAndAfterLoginMaxAllowedPacketApplies() {
        PacketDecoder packets = new PacketDecoder(MysqlServer.MAX_ALLOWED_PACKET, null);
        EmbeddedChannel decoder = new EmbeddedChannel(packets);
        decoder.writeInbound(Unpooled.buffer()
                .writeMediumLE(PacketDecoder.MAX_BEFORE_AUTHENTICATION)
                .writeByte(1)
                .writeZero(PacketDecoder.MAX_BEFORE_AUTHENTICATION));
        assertThat(((MysqlPacket) decoder.readInbound()).payload()).hasSize(PacketDecoder.MAX_BEFORE_AUTHENTICATION);
        packets.authenticated();
        decoder.writeInbound(
                Unpooled.buffer().writeMediumLE(1024 * 1024).writeByte(0).writeZero(1024 * 1024));
        assertThat(((MysqlPacket) decoder.readInbound()).payload()).hasSize(1024 * 1024);
    }

    private static PacketDecoder authenticated(PacketDecoder decoder) {
        decoder.authenticated();
        return decoder;
    }

    @Test
    void scramblesMatchWhatClientsCompute() {
        byte[] nonce = "abcdefghijklmnopqrst".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        // Reference values computed with Python's hashlib from the formulas in the MySQL documentation.
        assertThat(java.util.HexFormat.of().formatHex(Scramble.nativePassword("secret", nonce)))
                .isEqualTo(NATIVE_SECRET);
        assertThat(java.util.HexFormat.of().formatHex(Scramble.cachingSha2Password("secret", nonce)))
                .isEqualTo(SHA2_SECRET);
    }

    private static final String NATIVE_SECRET = "8817c50fa779daef010ee7577825b0847df9842e";
    private static final String SHA2_SECRET = "c76e2898612a4cf042c77fa8c4702c4c64c0c2c557c53c4d75595aaa6abae809";
}
