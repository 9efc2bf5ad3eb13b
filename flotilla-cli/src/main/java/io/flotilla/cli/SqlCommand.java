package io.flotilla.cli;

import io.flotilla.operations.ClusterManager;
import io.flotilla.sql.ClusterSql;
import io.flotilla.sql.SqlError;
import io.flotilla.sql.cluster.AgentClusterSql;
import io.flotilla.sql.protocol.StatementResult;
import io.flotilla.sql.session.Account;
import io.flotilla.sql.session.ClusterFrontend;
import io.flotilla.sql.session.ClusterSession;
import io.flotilla.sql.session.SingleCluster;
import io.flotilla.sql.session.Statements;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "sql",
        mixinStandardHelpOptions = true,
        description = {
            "Query a cluster's tables (CLUSTER_INFO, CLUSTER_CONFIG, CLUSTER_LOAD, ...)",
            "and change its settings (SET CONFIG mariadb max_connections = 500) in SQL, in this process, as root.",
            "With -e, runs the statements and exits (exit code 1 at the first error); without it, an interactive shell with history. For MySQL clients and drivers, see `flotilla serve`."
        })
final class SqlCommand extends OutputCommand {
    /** How long one agent may take before its instances become a warning. */
    static final Duration NODE_TIMEOUT = Duration.ofSeconds(5);

    @Parameters(paramLabel = "NAME", description = "The cluster (the SQL database).")
    private String name;

    @Option(
            names = {"-e", "--execute"},
            paramLabel = "STATEMENTS",
            description = "Run these statements (separated by ;) and exit.")
    private String execute;

    @Option(
            names = "--format",
            defaultValue = "text",
            description = "text (tables as the mysql client prints them) or json (default: ${DEFAULT-VALUE}).")
    private Format format;

    @Override
    int run(Output output) throws Exception {
        ClusterManager clusters = Services.clusters(output);
        ClusterSql sql = new AgentClusterSql(clusters, NODE_TIMEOUT);
        if (!sql.databases().contains(name)) {
            throw new OperationException(
                    ErrorCode.NO_CLUSTER,
                    "there is no cluster '%s'; `flotilla cluster list` shows the clusters".formatted(name));
        }
        ClusterFrontend frontend = new ClusterFrontend(
                new SingleCluster(sql, name),
                List.of(Account.root(clusters.secrets(name).rootPassword())));
        ClusterSession session = frontend.open(Account.ROOT, "localhost", name);
        try {
            if (execute != null) {
                return runScript(output, session, execute);
            }
            return shell(output, session, clusters.home().root().resolve("sql_history"));
        } finally {
            session.close();
        }
    }

    private int runScript(Output output, ClusterSession session, String script) {
        List<Map<String, Object>> results = new ArrayList<>();
        try {
            for (String statement : Statements.split(script)) {
                long started = System.nanoTime();
                StatementResult result = session.execute(statement);
                if (format == Format.json) {
                    results.add(SqlResults.json(result, session.warnings().list()));
                } else {
                    printText(output, session, result, started);
                }
            }
        } catch (SqlError e) {
            printJson(output, results);
            output.err().printf("ERROR %d (%s): %s%n", e.code(), e.sqlState(), e.getMessage());
            return 1;
        }
        printJson(output, results);
        return 0;
    }

    /** Prints a statement's result as the mariadb client does, with the time since {@code started} (a nanoTime). */
    private static void printText(Output output, ClusterSession session, StatementResult result, long started) {
        SqlResults.printText(
                output.out(), result, session.warnings().list(), Duration.ofNanos(System.nanoTime() - started));
    }

    private void printJson(Output output, List<Map<String, Object>> results) {
        if (format != Format.json) {
            return;
        }
        if (results.size() == 1) {
            output.json(results.getFirst());
        } else {
            output.json(results);
        }
    }

    private int shell(Output output, ClusterSession session, Path history) throws Exception {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            LineReader reader = LineReaderBuilder.builder()
                    .terminal(terminal)
                    .appName("flotilla-sql")
                    .variable(LineReader.HISTORY_FILE, history)
                    .build();
            output.err().printf("Cluster SQL for '%s'. End statements with ';'. Type quit or Ctrl-D to leave.%n", name);
            StringBuilder buffer = new StringBuilder();
            while (true) {
                String line;
                try {
                    line = reader.readLine(buffer.isEmpty() ? name + "> " : "    -> ");
                } catch (UserInterruptException ignored) {
                    buffer.setLength(0);
                    continue;
                } catch (EndOfFileException ignored) {
                    break;
                }
                String trimmed = line.strip();
                if (buffer.isEmpty()
                        && List.of("quit", "exit", "\\q", "quit;", "exit;").contains(trimmed)) {
                    break;
                }
                buffer.append(line).append('\n');
                if (!Statements.complete(buffer.toString())) {
                    continue;
                }
                String script = buffer.toString();
                buffer.setLength(0);
                for (String statement : Statements.split(script)) {
                    long started = System.nanoTime();
                    try {
                        StatementResult result = session.execute(statement);
                        if (format == Format.json) {
                            output.json(
                                    SqlResults.json(result, session.warnings().list()));
                        } else {
                            printText(output, session, result, started);
                        }
                    } catch (SqlError e) {
                        output.out().printf("ERROR %d (%s): %s%n%n", e.code(), e.sqlState(), e.getMessage());
                        break;
                    }
                }
            }
            return 0;
        }
    }
}
