package io.flotilla.sql.protocol;

import java.util.ArrayList;
import java.util.List;

/** The server's reply packets, as payloads. */
final class Responses {
    static final int SERVER_STATUS_AUTOCOMMIT = 0x0002;

    private Responses() {}

    static byte[] ok(long affectedRows, int warnings) {
        return ok(affectedRows, warnings, new byte[0]);
    }

    /** An OK whose info (to the end of the packet) is {@code info}. */
    static byte[] ok(long affectedRows, int warnings, byte[] info) {
        return new PayloadWriter()
                .int1(0x00)
                .lengthEncodedInt(affectedRows)
                .lengthEncodedInt(0)
                .int2(SERVER_STATUS_AUTOCOMMIT)
                .int2(warnings)
                .bytes(info)
                .toByteArray();
    }

    /** The OK that ends a result set when the client set DEPRECATE_EOF: an OK with the EOF header. */
    static byte[] endOfRows(int warnings) {
        return new PayloadWriter()
                .int1(0xFE)
                .lengthEncodedInt(0)
                .lengthEncodedInt(0)
                .int2(SERVER_STATUS_AUTOCOMMIT)
                .int2(warnings)
                .toByteArray();
    }

    static byte[] eof(int warnings) {
        return new PayloadWriter()
                .int1(0xFE)
                .int2(warnings)
                .int2(SERVER_STATUS_AUTOCOMMIT)
                .toByteArray();
    }

    static byte[] error(int code, String sqlState, String message) {
        return new PayloadWriter()
                .int1(0xFF)
                .int2(code)
                .string("#")
                .string(sqlState)
                .string(message)
                .toByteArray();
    }

    /**
     * An error sent in place of the greeting: before the client has said it speaks protocol 4.1, so
     * without the SQLSTATE, as MySQL sends it (MariaDB Connector/J would show the SQLSTATE as text).
     */
    static byte[] errorBeforeGreeting(int code, String message) {
        return new PayloadWriter().int1(0xFF).int2(code).string(message).toByteArray();
    }

    static byte[] columnDefinition(Column column) {
        ColumnType type = column.type();
        int flags = type.numeric() ? 0x0020 /* BINARY */ | 0x8000 /* NUM */ : 0;
        return new PayloadWriter()
                .lengthEncodedString("def")
                .lengthEncodedString("")
                .lengthEncodedString("")
                .lengthEncodedString("")
                .lengthEncodedString(column.name())
                .lengthEncodedString(column.name())
                .lengthEncodedInt(0x0C)
                .int2(type.charset())
                .int4(type == ColumnType.VARCHAR ? type.length() * 4L : type.length())
                .int1(type.code())
                .int2(flags)
                .int1(type.decimals())
                .zeros(2)
                .toByteArray();
    }

    static byte[] row(List<String> values) {
        PayloadWriter row = new PayloadWriter();
        for (String value : values) {
            if (value == null) {
                row.int1(0xFB);
            } else {
                row.lengthEncodedString(value);
            }
        }
        return row.toByteArray();
    }

    /** A whole text result set, ended as the client's DEPRECATE_EOF flag asks. */
    static List<byte[]> resultSet(StatementResult.Rows rows, int warnings, boolean deprecateEof) {
        List<byte[]> packets =
                new ArrayList<>(rows.rows().size() + rows.columns().size() + 3);
        packets.add(new PayloadWriter().lengthEncodedInt(rows.columns().size()).toByteArray());
        for (Column column : rows.columns()) {
            packets.add(columnDefinition(column));
        }
        if (!deprecateEof) {
            packets.add(eof(warnings));
        }
        for (List<String> row : rows.rows()) {
            packets.add(row(row));
        }
        packets.add(deprecateEof ? endOfRows(warnings) : eof(warnings));
        return packets;
    }
}
