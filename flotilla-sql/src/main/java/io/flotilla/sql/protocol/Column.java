package io.flotilla.sql.protocol;

import static java.util.Objects.requireNonNull;

/** One column of a result set, as the client sees it. */
public record Column(String name, ColumnType type) {
    public Column {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
    }

    public static Column varchar(String name) {
        return new Column(name, ColumnType.VARCHAR);
    }

    public static Column bigint(String name) {
        return new Column(name, ColumnType.BIGINT);
    }
}
