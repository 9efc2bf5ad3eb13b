package io.flotilla.cli;

import io.flotilla.sql.Warning;
import io.flotilla.sql.protocol.Column;
import io.flotilla.sql.protocol.StatementResult;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Prints statement results as the mysql client does (boxed tables, "N rows in set"), or as JSON. */
final class SqlResults {
    private SqlResults() {}

    static void printText(PrintStream out, StatementResult result, List<Warning> warnings, Duration took) {
        String seconds = "(%.2f sec)".formatted(took.toNanos() / 1e9);
        String warningCount =
                warnings.isEmpty() ? "" : ", %d warning%s".formatted(warnings.size(), warnings.size() == 1 ? "" : "s");
        switch (result) {
            case StatementResult.Ok ok ->
                out.printf(
                        "Query OK, %d row%s affected%s %s%n",
                        ok.affectedRows(), ok.affectedRows() == 1 ? "" : "s", warningCount, seconds);
            case StatementResult.Rows rows -> {
                if (rows.rows().isEmpty()) {
                    out.printf("Empty set%s %s%n", warningCount, seconds);
                } else {
                    out.print(box(rows));
                    out.printf(
                            "%d row%s in set%s %s%n",
                            rows.rows().size(), rows.rows().size() == 1 ? "" : "s", warningCount, seconds);
                }
            }
        }
        for (Warning warning : warnings) {
            out.printf("%s (Code %d): %s%n", warning.level(), warning.code(), warning.message());
        }
        out.println();
    }

    static String box(StatementResult.Rows rows) {
        List<Column> columns = rows.columns();
        int[] widths = new int[columns.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = columns.get(i).name().length();
        }
        for (List<String> row : rows.rows()) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], cell(row.get(i)).length());
            }
        }
        StringBuilder rule = new StringBuilder("+");
        for (int width : widths) {
            rule.append("-".repeat(width + 2)).append('+');
        }
        rule.append('\n');
        StringBuilder text = new StringBuilder(rule);
        text.append('|');
        for (int i = 0; i < widths.length; i++) {
            text.append(' ').append(padRight(columns.get(i).name(), widths[i])).append(" |");
        }
        text.append('\n').append(rule);
        for (List<String> row : rows.rows()) {
            text.append('|');
            for (int i = 0; i < widths.length; i++) {
                String value = cell(row.get(i));
                boolean right = row.get(i) != null && isNumber(columns.get(i));
                text.append(' ')
                        .append(right ? padLeft(value, widths[i]) : padRight(value, widths[i]))
                        .append(" |");
            }
            text.append('\n');
        }
        return text.append(rule).toString();
    }

    static Map<String, Object> json(StatementResult result, List<Warning> warnings) {
        Map<String, Object> json = new LinkedHashMap<>();
        switch (result) {
            case StatementResult.Ok ok -> json.put("affected_rows", ok.affectedRows());
            case StatementResult.Rows rows -> {
                json.put("columns", rows.columns().stream().map(Column::name).toList());
                List<Map<String, String>> objects = new ArrayList<>();
                for (List<String> row : rows.rows()) {
                    Map<String, String> object = new LinkedHashMap<>();
                    for (int i = 0; i < row.size(); i++) {
                        object.put(rows.columns().get(i).name(), row.get(i));
                    }
                    objects.add(object);
                }
                json.put("rows", objects);
            }
        }
        json.put(
                "warnings",
                warnings.stream()
                        .map(w -> Map.of("level", w.level(), "code", w.code(), "message", w.message()))
                        .toList());
        return json;
    }

    private static boolean isNumber(Column column) {
        return switch (column.type()) {
            case BIGINT, DOUBLE, DECIMAL -> true;
            case VARCHAR, DATETIME, DATE -> false;
        };
    }

    private static String cell(String value) {
        return value == null ? "NULL" : value;
    }

    private static String padRight(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }

    private static String padLeft(String text, int width) {
        return " ".repeat(Math.max(0, width - text.length())) + text;
    }
}
