package io.flotilla.sql.protocol;

import static java.util.Objects.requireNonNull;

/**
 * One logical MySQL packet: its payload with the 16 MB splits already joined, and the sequence id
 * of its last physical packet.
 */
public record MysqlPacket(int sequence, byte[] payload) {
    public MysqlPacket {
        requireNonNull(payload, "payload is null");
        if (sequence < 0 || sequence > 255) {
            throw new IllegalArgumentException("sequence %d is not in 0..255".formatted(sequence));
        }
    }
}
