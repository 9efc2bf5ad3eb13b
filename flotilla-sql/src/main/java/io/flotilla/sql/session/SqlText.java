package io.flotilla.sql.session;

import java.util.ArrayList;
import java.util.List;

/** Small lexical helpers for the statements the front-end answers before Calcite. */
final class SqlText {
    private SqlText() {}

    /** Drops leading comments (drivers prefix their own), surrounding blanks and trailing semicolons. */
    static String strip(String sql) {
        String text = sql.strip();
        while (true) {
            if (text.startsWith("/*")) {
                int end = text.indexOf("*/");
                if (end < 0) {
                    return text;
                }
                text = text.substring(end + 2).strip();
            } else if (text.startsWith("-- ") || text.startsWith("#")) {
                int end = text.indexOf('\n');
                text = end < 0 ? "" : text.substring(end + 1).strip();
            } else {
                break;
            }
        }
        while (text.endsWith(";")) {
            text = text.substring(0, text.length() - 1).strip();
        }
        return text;
    }

    /** Splits on commas outside quotes and parentheses. */
    static List<String> splitTopLevel(String text) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        char quote = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote != '`') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(text.substring(start, i).strip());
                start = i + 1;
            }
        }
        parts.add(text.substring(start).strip());
        return parts;
    }

    /** The value of a quoted literal ('x', "x" or `x`), or the text itself when it is not quoted. */
    static String unquote(String text) {
        if (text.length() >= 2) {
            char first = text.charAt(0);
            char last = text.charAt(text.length() - 1);
            if ((first == '\'' || first == '"' || first == '`') && first == last) {
                String body = text.substring(1, text.length() - 1);
                String doubled = String.valueOf(first) + first;
                body = body.replace(doubled, String.valueOf(first));
                if (first != '`') {
                    body = body.replace("\\'", "'").replace("\\\"", "\"").replace("\\\\", "\\");
                }
                return body;
            }
        }
        return text;
    }

    static boolean isQuoted(String text) {
        return !unquote(text).equals(text) || text.equals("''") || text.equals("\"\"");
    }

    /** A LIKE pattern as a regular expression, case-insensitive as MySQL compares names. */
    static java.util.regex.Pattern like(String pattern) {
        StringBuilder regex = new StringBuilder("(?i)");
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                regex.append(java.util.regex.Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else if (c == '%') {
                regex.append(".*");
            } else if (c == '_') {
                regex.append('.');
            } else {
                regex.append(java.util.regex.Pattern.quote(String.valueOf(c)));
            }
        }
        return java.util.regex.Pattern.compile(regex.toString(), java.util.regex.Pattern.DOTALL);
    }

    /** The start of a statement, shortened for an error message. */
    static String near(String sql) {
        return sql.length() <= 80 ? sql : sql.substring(0, 80) + "...";
    }
}
