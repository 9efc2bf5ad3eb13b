package io.flotilla.cli;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where a command writes: results on {@code out} (a table, or JSON with {@code --format json}),
 * progress and errors on {@code err}, so that a script reading JSON never sees a progress line.
 */
public record Output(PrintStream out, PrintStream err) {
    static final JsonMapper JSON =
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    public Output {
        requireNonNull(out, "out is null");
        requireNonNull(err, "err is null");
    }

    public static Output system() {
        return new Output(System.out, System.err);
    }

    void json(Object value) {
        out.println(JSON.writeValueAsString(value));
    }

    /** A plain text table: a header row and columns padded to their widest cell. */
    static String table(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int[] widths = new int[header.size()];
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (int r = 0; r < all.size(); r++) {
            List<String> row = all.get(r);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : pad(row.get(i), widths[i] + 2));
            }
            text.append(line.toString().stripTrailing()).append('\n');
            if (r == 0) {
                StringBuilder rule = new StringBuilder();
                for (int i = 0; i < widths.length; i++) {
                    rule.append(
                            i == widths.length - 1 ? "-".repeat(widths[i]) : pad("-".repeat(widths[i]), widths[i] + 2));
                }
                text.append(rule).append('\n');
            }
        }
        return text.toString();
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }
}
