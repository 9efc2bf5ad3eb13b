package io.flotilla.sql.protocol;

/** The column types a result set uses, with the MySQL type code and the character set the client sees. */
public enum ColumnType {
    VARCHAR(0xFD, 45, 1024, 0),
    BIGINT(0x08, 63, 20, 0),
    DOUBLE(0x05, 63, 22, 31),
    DECIMAL(0xF6, 63, 65, 30),
    DATETIME(0x0C, 63, 19, 0),
    DATE(0x0A, 63, 10, 0);

    static final int BINARY_CHARSET = 63;
    static final int UTF8MB4_GENERAL_CI = 45;

    private final int code;
    private final int charset;
    private final int length;
    private final int decimals;

    ColumnType(int code, int charset, int length, int decimals) {
        this.code = code;
        this.charset = charset;
        this.length = length;
        this.decimals = decimals;
    }

    int code() {
        return code;
    }

    int charset() {
        return charset;
    }

    int length() {
        return length;
    }

    int decimals() {
        return decimals;
    }

    boolean numeric() {
        return this == BIGINT || this == DOUBLE || this == DECIMAL;
    }
}
