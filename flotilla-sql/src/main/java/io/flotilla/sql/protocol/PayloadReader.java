package io.flotilla.sql.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Reads the protocol's field types from one payload. */
final class PayloadReader {
    private final byte[] payload;
    private int position;

    PayloadReader(byte[] payload) {
        this.payload = payload;
    }

    boolean hasMore() {
        return position < payload.length;
    }

    int remaining() {
        return payload.length - position;
    }

    int int1() {
        require(1);
        return payload[position++] & 0xFF;
    }

    int int2() {
        return int1() | int1() << 8;
    }

    long int4() {
        return int2() | (long) int2() << 16;
    }

    void skip(int count) {
        require(count);
        position += count;
    }

    byte[] bytes(int count) {
        require(count);
        byte[] bytes = Arrays.copyOfRange(payload, position, position + count);
        position += count;
        return bytes;
    }

    long lengthEncodedInt() {
        int first = int1();
        return switch (first) {
            case 0xFC -> int2();
            case 0xFD -> int2() | (long) int1() << 16;
            case 0xFE -> int4() | int4() << 32;
            default -> first;
        };
    }

    byte[] lengthEncodedBytes() {
        long length = lengthEncodedInt();
        if (length > remaining()) {
            throw new IllegalArgumentException(
                    "a length-encoded string of %d bytes runs past the end of the packet".formatted(length));
        }
        return bytes((int) length);
    }

    /** A string ended by NUL, or by the end of the payload. */
    String nulString() {
        int end = position;
        while (end < payload.length && payload[end] != 0) {
            end++;
        }
        String value = new String(payload, position, end - position, StandardCharsets.UTF_8);
        position = Math.min(end + 1, payload.length);
        return value;
    }

    byte[] nulBytes() {
        int end = position;
        while (end < payload.length && payload[end] != 0) {
            end++;
        }
        byte[] value = Arrays.copyOfRange(payload, position, end);
        position = Math.min(end + 1, payload.length);
        return value;
    }

    String restAsString() {
        String value = new String(payload, position, payload.length - position, StandardCharsets.UTF_8);
        position = payload.length;
        return value;
    }

    private void require(int count) {
        if (position + count > payload.length) {
            throw new IllegalArgumentException(
                    "the packet ended early: %d more bytes expected at offset %d".formatted(count, position));
        }
    }
}
