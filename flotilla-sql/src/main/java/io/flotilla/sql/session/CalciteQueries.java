package io.flotilla.sql.session;

import io.flotilla.sql.SqlError;
import io.flotilla.sql.protocol.Column;
import io.flotilla.sql.protocol.ColumnType;
import io.flotilla.sql.protocol.StatementResult;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.calcite.jdbc.CalciteConnection;
import org.apache.calcite.schema.Schema;
import org.apache.calcite.schema.SchemaPlus;
import org.apache.calcite.sql.parser.SqlParseException;

/**
 * One Calcite connection with MySQL's lexical rules and functions, over the schemas the session
 * mounts. Results come back in the text form the MySQL protocol sends.
 */
final class CalciteQueries implements AutoCloseable {
    static final int ER_NO_SUCH_TABLE = 1146;
    static final int ER_BAD_FIELD_ERROR = 1054;

    private static final Pattern OBJECT_NOT_FOUND = Pattern.compile("Object '([^']+)' not found(?: within '([^']+)')?");
    private static final Pattern COLUMN_NOT_FOUND = Pattern.compile("Column '([^']+)' not found in any table");

    private final Connection connection;

    /**
     * @param schemas mounted under the root by name
     * @param defaultSchema the schema of unqualified names, or {@code null}
     */
    CalciteQueries(Map<String, Schema> schemas, String defaultSchema) {
        Properties info = new Properties();
        info.setProperty("lex", "MYSQL");
        info.setProperty("conformance", "MYSQL_5");
        info.setProperty("fun", "mysql");
        info.setProperty("caseSensitive", "false");
        try {
            connection = DriverManager.getConnection("jdbc:calcite:", info);
            CalciteConnection calcite = connection.unwrap(CalciteConnection.class);
            SchemaPlus root = calcite.getRootSchema();
            schemas.forEach(root::add);
            if (defaultSchema != null) {
                calcite.setSchema(defaultSchema);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the Calcite connection: " + e.getMessage(), e);
        }
    }

    StatementResult.Rows query(String sql, String database) {
        try (Statement statement = connection.createStatement();
                ResultSet results = statement.executeQuery(sql)) {
            ResultSetMetaData meta = results.getMetaData();
            int count = meta.getColumnCount();
            List<Column> columns = new ArrayList<>(count);
            for (int i = 1; i <= count; i++) {
                columns.add(new Column(meta.getColumnLabel(i), columnType(meta.getColumnType(i))));
            }
            List<List<String>> rows = new ArrayList<>();
            while (results.next()) {
                List<String> row = new ArrayList<>(count);
                for (int i = 1; i <= count; i++) {
                    row.add(text(results, i, meta.getColumnType(i)));
                }
                rows.add(row);
            }
            return new StatementResult.Rows(columns, rows);
        } catch (SQLException e) {
            throw translate(e, database);
        }
    }

    private static ColumnType columnType(int jdbcType) {
        return switch (jdbcType) {
            case Types.BIGINT, Types.INTEGER, Types.SMALLINT, Types.TINYINT, Types.BOOLEAN -> ColumnType.BIGINT;
            case Types.DOUBLE, Types.FLOAT, Types.REAL -> ColumnType.DOUBLE;
            case Types.DECIMAL, Types.NUMERIC -> ColumnType.DECIMAL;
            case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE -> ColumnType.DATETIME;
            case Types.DATE -> ColumnType.DATE;
            default -> ColumnType.VARCHAR;
        };
    }

    private static String text(ResultSet results, int column, int jdbcType) throws SQLException {
        String text = switch (jdbcType) {
            case Types.BOOLEAN -> {
                boolean value = results.getBoolean(column);
                yield value ? "1" : "0";
            }
            case Types.BIGINT, Types.INTEGER, Types.SMALLINT, Types.TINYINT -> String.valueOf(results.getLong(column));
            case Types.DOUBLE, Types.FLOAT, Types.REAL -> {
                double value = results.getDouble(column);
                yield Double.isFinite(value)
                        ? BigDecimal.valueOf(value).stripTrailingZeros().toPlainString()
                        : String.valueOf(value);
            }
            case Types.DECIMAL, Types.NUMERIC -> {
                BigDecimal value = results.getBigDecimal(column);
                yield value == null ? null : value.toPlainString();
            }
            case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE -> {
                String value = results.getString(column);
                yield value != null && value.endsWith(".0") ? value.substring(0, value.length() - 2) : value;
            }
            default -> results.getString(column);
        };
        return results.wasNull() ? null : text;
    }

    private static SqlError translate(SQLException e, String database) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SqlError error) {
                return error;
            }
            if (cause instanceof SqlParseException parse) {
                return new SqlError(
                        SqlError.ER_PARSE_ERROR,
                        "42000",
                        "You have an error in your SQL syntax: " + firstLine(parse.getMessage()));
            }
        }
        String message = innermostMessage(e);
        Matcher table = OBJECT_NOT_FOUND.matcher(message);
        if (table.find()) {
            String qualifier = table.group(2) != null ? table.group(2) : database == null ? "" : database;
            return new SqlError(
                    ER_NO_SUCH_TABLE,
                    "42S02",
                    (qualifier.isEmpty()
                                    ? "Table '%s' doesn't exist".formatted(table.group(1))
                                    : "Table '%s.%s' doesn't exist".formatted(qualifier, table.group(1)))
                            + (database == null
                                    ? " (no database selected: USE a cluster first; SHOW DATABASES lists them)"
                                    : ""));
        }
        Matcher column = COLUMN_NOT_FOUND.matcher(message);
        if (column.find()) {
            return new SqlError(
                    ER_BAD_FIELD_ERROR, "42S22", "Unknown column '%s' in 'field list'".formatted(column.group(1)));
        }
        return new SqlError(SqlError.ER_UNKNOWN_ERROR, "HY000", firstLine(message));
    }

    private static String innermostMessage(Throwable e) {
        String message = e.getMessage();
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                message = cause.getMessage();
            }
        }
        return message == null ? e.toString() : message;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // Closing an in-memory Calcite connection releases nothing we could recover.
        }
    }
}
