package io.flotilla.sql.protocol;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What one statement answers: an OK with a count of affected rows, or rows in the text protocol. */
public sealed interface StatementResult {
    record Ok(long affectedRows) implements StatementResult {
        public Ok {
            if (affectedRows < 0) {
                throw new IllegalArgumentException("affectedRows is negative");
            }
        }
    }

    /**
     * Rows as the text protocol sends them: each value its text form, {@code null} for SQL NULL.
     */
    record Rows(List<Column> columns, List<List<String>> rows) implements StatementResult {
        public Rows {
            columns = List.copyOf(columns);
            List<List<String>> copy = new ArrayList<>(rows.size());
            for (List<String> row : rows) {
                requireNonNull(row, "row is null");
                if (row.size() != columns.size()) {
                    throw new IllegalArgumentException(
                            "a row has %d values for %d columns".formatted(row.size(), columns.size()));
                }
                // Values may be null (SQL NULL), so List.copyOf does not fit.
                copy.add(Collections.unmodifiableList(new ArrayList<>(row)));
            }
            rows = Collections.unmodifiableList(copy);
        }
    }

    static StatementResult ok() {
        return new Ok(0);
    }
}
