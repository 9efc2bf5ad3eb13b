import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Times one statement through the MySQL wire protocol with MariaDB Connector/J, for bench/cluster-sql.sh:
 * {@code java -cp 'lib/*' bench/ClusterSqlClient.java PORT DATABASE PASSWORD_FILE WARMUP COUNT EXPECTED SQL}.
 *
 * <p>Connects as root over TLS (the server's self-signed certificate is trusted), runs SQL WARMUP times
 * untimed, then COUNT times timed, each time reading every row. {@code {i}} in SQL is replaced by 100 plus the
 * statement's number, from 0 (so SET CONFIG sets a new value each time). A statement that returns a warning (a node
 * that failed or timed out) is printed on standard error as {@code warning: ...}, its time kept; one without
 * warnings whose row (or update) count is not EXPECTED ({@code +K}: at least K) stops the run. Prints the times in milliseconds, one per line, on standard output, and the last statement's row count
 * ({@code rows N}) on standard error.
 */
public final class ClusterSqlClient {
    private ClusterSqlClient() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: ClusterSqlClient PORT DATABASE PASSWORD_FILE WARMUP COUNT EXPECTED SQL");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        String database = args[1];
        String password = java.nio.file.Files.readString(java.nio.file.Path.of(args[2]))
                .strip();
        int warmup = Integer.parseInt(args[3]);
        int count = Integer.parseInt(args[4]);
        boolean atLeast = args[5].startsWith("+");
        long expected = Long.parseLong(atLeast ? args[5].substring(1) : args[5]);
        String sql = args[6];
        Properties properties = new Properties();
        properties.setProperty("user", "root");
        properties.setProperty("password", password);
        properties.setProperty("sslMode", "trust");
        List<Double> millis = new ArrayList<>();
        long rows = 0;
        try (Connection connection =
                        DriverManager.getConnection("jdbc:mariadb://127.0.0.1:%d/%s".formatted(port, database), properties);
                Statement statement = connection.createStatement()) {
            for (int i = 0; i < warmup + count; i++) {
                String text = sql.replace("{i}", Integer.toString(100 + i));
                long started = System.nanoTime();
                rows = run(statement, text);
                double took = (System.nanoTime() - started) / 1e6;
                SQLWarning warning = statement.getWarnings();
                if (warning != null) {
                    // Its time counts, and so does the warning: the script reports how many there were.
                    System.err.printf("warning: %s: %s%n", text, warning.getMessage());
                } else if (atLeast ? rows < expected : rows != expected) {
                    throw new IllegalStateException("%s returned %d rows, expected %s%d"
                            .formatted(text, rows, atLeast ? "at least " : "", expected));
                }
                if (i >= warmup) {
                    millis.add(took);
                }
            }
        }
        StringBuilder out = new StringBuilder();
        millis.forEach(each -> out.append("%.3f%n".formatted(each)));
        System.out.print(out);
        System.err.println("rows " + rows);
    }

    private static long run(Statement statement, String sql) throws Exception {
        if (!statement.execute(sql)) {
            return statement.getUpdateCount();
        }
        long rows = 0;
        try (ResultSet result = statement.getResultSet()) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                for (int column = 1; column <= columns; column++) {
                    result.getString(column);
                }
                rows++;
            }
        }
        return rows;
    }
}
