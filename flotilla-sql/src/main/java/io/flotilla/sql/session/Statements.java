package io.flotilla.sql.session;

import java.util.ArrayList;
import java.util.List;

/** Splits a script into statements at semicolons outside quotes and comments, as the mysql client does. */
public final class Statements {
    private Statements() {}

    public static List<String> split(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < script.length(); i++) {
            char c = script.charAt(i);
            if (quote != 0) {
                current.append(c);
                if (c == '\\' && quote != '`' && i + 1 < script.length()) {
                    current.append(script.charAt(++i));
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
                current.append(c);
            } else if (c == ';') {
                add(statements, current);
            } else {
                current.append(c);
            }
        }
        add(statements, current);
        return statements;
    }

    /** Whether the text ends a statement: a semicolon outside quotes at its end. */
    public static boolean complete(String text) {
        String stripped = text.strip();
        if (!stripped.endsWith(";")) {
            return false;
        }
        List<String> parts = split(stripped + " x");
        return parts.getLast().equals("x");
    }

    private static void add(List<String> statements, StringBuilder current) {
        String statement = current.toString().strip();
        if (!statement.isEmpty()) {
            statements.add(statement);
        }
        current.setLength(0);
    }
}
