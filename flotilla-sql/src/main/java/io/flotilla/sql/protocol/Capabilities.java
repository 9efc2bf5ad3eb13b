package io.flotilla.sql.protocol;

/** The capability flags of the handshake that this server looks at or offers. */
final class Capabilities {
    static final int LONG_PASSWORD = 1;
    static final int FOUND_ROWS = 1 << 1;
    static final int LONG_FLAG = 1 << 2;
    static final int CONNECT_WITH_DB = 1 << 3;
    static final int NO_SCHEMA = 1 << 4;
    static final int ODBC = 1 << 6;
    static final int IGNORE_SPACE = 1 << 8;
    static final int PROTOCOL_41 = 1 << 9;
    static final int INTERACTIVE = 1 << 10;
    static final int SSL = 1 << 11;
    static final int TRANSACTIONS = 1 << 13;
    static final int SECURE_CONNECTION = 1 << 15;
    static final int MULTI_STATEMENTS = 1 << 16;
    static final int MULTI_RESULTS = 1 << 17;
    static final int PS_MULTI_RESULTS = 1 << 18;
    static final int PLUGIN_AUTH = 1 << 19;
    static final int CONNECT_ATTRS = 1 << 20;
    static final int PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21;
    static final int SESSION_TRACK = 1 << 23;
    static final int DEPRECATE_EOF = 1 << 24;

    /** Offered to every client; the connection uses what both sides set. */
    static final int SERVER = LONG_PASSWORD
            | FOUND_ROWS
            | LONG_FLAG
            | CONNECT_WITH_DB
            | NO_SCHEMA
            | ODBC
            | IGNORE_SPACE
            | PROTOCOL_41
            | INTERACTIVE
            | TRANSACTIONS
            | SECURE_CONNECTION
            | MULTI_RESULTS
            | PS_MULTI_RESULTS
            | PLUGIN_AUTH
            | CONNECT_ATTRS
            | PLUGIN_AUTH_LENENC_CLIENT_DATA
            | DEPRECATE_EOF;

    private Capabilities() {}
}
