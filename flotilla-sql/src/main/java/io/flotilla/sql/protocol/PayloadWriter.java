package io.flotilla.sql.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes the protocol's field types into one payload. */
final class PayloadWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    PayloadWriter int1(int value) {
        out.write(value);
        return this;
    }

    PayloadWriter int2(int value) {
        out.write(value);
        out.write(value >>> 8);
        return this;
    }

    PayloadWriter int3(int value) {
        int2(value);
        out.write(value >>> 16);
        return this;
    }

    PayloadWriter int4(long value) {
        int2((int) value);
        int2((int) (value >>> 16));
        return this;
    }

    PayloadWriter int8(long value) {
        int4(value);
        int4(value >>> 32);
        return this;
    }

    PayloadWriter zeros(int count) {
        for (int i = 0; i < count; i++) {
            out.write(0);
        }
        return this;
    }

    PayloadWriter bytes(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    PayloadWriter lengthEncodedInt(long value) {
        if (value < 0xFB) {
            return int1((int) value);
        }
        if (value < 1 << 16) {
            return int1(0xFC).int2((int) value);
        }
        if (value < 1 << 24) {
            return int1(0xFD).int3((int) value);
        }
        return int1(0xFE).int8(value);
    }

    PayloadWriter lengthEncodedString(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        lengthEncodedInt(bytes.length);
        return bytes(bytes);
    }

    PayloadWriter nulString(String value) {
        bytes(value.getBytes(StandardCharsets.UTF_8));
        return int1(0);
    }

    PayloadWriter string(String value) {
        return bytes(value.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
