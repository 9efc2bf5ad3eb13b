package io.flotilla.sql;

/**
 * A statement that fails as a whole, sent to the client as an ERR packet.
 *
 * @see <a href="https://mariadb.com/kb/en/mariadb-error-codes/">MariaDB error codes</a>
 */
public final class SqlError extends RuntimeException {
    public static final int ER_ACCESS_DENIED_ERROR = 1045;
    public static final int ER_BAD_DB_ERROR = 1049;
    public static final int ER_NO_DB_ERROR = 1046;
    public static final int ER_PARSE_ERROR = 1064;
    public static final int ER_SPECIFIC_ACCESS_DENIED_ERROR = 1227;
    public static final int ER_UNKNOWN_ERROR = 1105;
    public static final int ER_NOT_SUPPORTED_YET = 1235;
    public static final int ER_WRONG_ARGUMENTS = 1210;

    private final int code;
    private final String sqlState;

    public SqlError(int code, String sqlState, String message) {
        super(message);
        this.code = code;
        this.sqlState = sqlState;
    }

    public int code() {
        return code;
    }

    public String sqlState() {
        return sqlState;
    }
}
