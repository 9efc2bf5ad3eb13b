package io.flotilla.catalog;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Renders flattened dotted settings as a TOML document, the config format of the TiDB family. */
final class Toml {
    private Toml() {}

    static String render(String header, Map<String, Object> settings) {
        Map<String, Map<String, Object>> tables = new TreeMap<>();
        settings.forEach((key, value) -> {
            int dot = key.lastIndexOf('.');
            String table = dot < 0 ? "" : key.substring(0, dot);
            tables.computeIfAbsent(table, ignored -> new TreeMap<>()).put(key.substring(dot + 1), value);
        });
        StringBuilder toml = new StringBuilder("# ").append(header).append('\n');
        tables.forEach((table, values) -> {
            if (!table.isEmpty()) {
                toml.append("\n[").append(table).append("]\n");
            }
            values.forEach((key, value) -> toml.append(bareOrQuoted(key))
                    .append(" = ")
                    .append(value(value))
                    .append('\n'));
        });
        return toml.toString();
    }

    private static String bareOrQuoted(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : quote(key);
    }

    private static String value(Object value) {
        return switch (value) {
            case Boolean flag -> flag.toString();
            case Number number -> number.toString();
            case List<?> list -> list.stream().map(Toml::value).toList().toString();
            default -> quote(value.toString());
        };
    }

    private static String quote(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
