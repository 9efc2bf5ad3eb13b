package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The "done when", end to end: the foreground `flotilla playground` (a child process, as a
 * user runs it) serves its cluster SQL endpoint; the `mariadb` command line, MariaDB Connector/J
 * and MySQL Connector/J each read every table through it; `SET CONFIG mariadb max_connections =
 * 321` shows on every MariaDB at once and after `flotilla cluster restart`; and a stopped agent (the
 * playground's one agent, SIGSTOPped) becomes a warning per instance over the wire instead of a hang,
 * and its rows come back once it runs again.
 */
class PlaygroundSqlTest {
    private static final String NAME = "playground";
    private static final List<String> TABLES = List.of(
            "CLUSTER_INFO",
            "CLUSTER_CONFIG",
            "CLUSTER_LOAD",
            "CLUSTER_HARDWARE",
            "CLUSTER_SYSTEMINFO",
            "CLUSTER_LOG",
            "CLUSTER_SLOW_QUERY",
            "CLUSTER_PROCESSLIST",
            "CLUSTER_REPLICATION",
            "INSPECTION_RULES",
            "INSPECTION_RESULT");

    @TempDir
    static Path root;

    private static Process playground;
    private static Long stoppedAgent;

    @AfterAll
    static void cleanUp() throws Exception {
        if (stoppedAgent != null) {
            ProcessHandle.of(stoppedAgent).ifPresent(agent -> {
                try {
                    signal("CONT", agent.pid());
                } catch (Exception e) {
                    agent.destroyForcibly();
                }
            });
        }
        if (playground != null && playground.isAlive()) {
            playground.destroy();
            if (!playground.waitFor(60, TimeUnit.SECONDS)) {
                playground.destroyForcibly().waitFor();
            }
        }
        Path home = root.resolve("home");
        try {
            if (Files.exists(home.resolve("clusters").resolve(NAME))) {
                new Cli(home).run("cluster", "destroy", NAME, "--yes");
            }
        } finally {
            // Whatever destroy left (or could not reach): every process that runs from this test's folder.
            ProcessHandle.allProcesses()
                    .filter(process -> process.info().commandLine().orElse("").contains(root.toString()))
                    .forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void everyClientReadsEveryTableSetConfigSurvivesARestartAndAStoppedAgentIsAWarning() throws Exception {
        Path home = root.resolve("home");
        Cli cli = new Cli(home);
        long started = System.nanoTime();

        // 1. The foreground playground, as a user runs it; its JSON names the SQL endpoint.
        Path out = root.resolve("playground.out");
        Path err = root.resolve("playground.err");
        playground = cli.start(out, err, "playground", "--format", "json");
        JsonNode up = awaitJson(out, err);
        String sql = up.path("endpoints").path("sql").asString();
        int offset = Integer.parseInt(port(up.path("endpoints").path("mysql").asString())) - 4000;
        assertThat(sql).as(up.toString()).isEqualTo("127.0.0.1:" + (4406 + offset));
        int sqlPort = Integer.parseInt(port(sql));
        List<Integer> mariadbPorts = List.of(3306 + offset, 3307 + offset, 3308 + offset);
        Cli.Result display = cli.run("cluster", "display", NAME, "--format", "json");
        assertThat(Output.JSON
                        .readTree(display.out())
                        .path("endpoints")
                        .path("sql")
                        .asString())
                .as(display.all())
                .isEqualTo(sql);
        Cli.Result text = cli.run("cluster", "display", NAME);
        assertThat(text.out()).contains("sql: " + sql);
        lap("playground up, endpoints.sql " + sql + " (port offset " + offset + ")", started);

        String password = cli.run("cluster", "password", NAME).out().strip();
        Expected expected = new Expected(offset, mariadbPorts);
        // A query that the slow log records, for CLUSTER_SLOW_QUERY to show.
        try (Connection primary = LocalClusterTest.connect(mariadbPorts.getFirst(), password);
                Statement statement = primary.createStatement()) {
            statement.execute("SET SESSION long_query_time = 0");
            statement.executeQuery("SELECT 'flotilla-slow-probe'").close();
        }

        // 2. Every table through each of the three clients.
        long step = System.nanoTime();
        Path defaults = root.resolve("client.cnf");
        Files.createFile(defaults, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(defaults, "[client]\npassword=" + password + "\n");
        checkEveryTable("mariadb command line", sqlText -> mariadbCli(defaults, sqlPort, sqlText), expected);
        // As the playground prints it, with no database named: the endpoint starts in its one cluster.
        assertThat(mariadbCli(defaults, sqlPort, "SELECT DATABASE() AS db")).containsExactly(Map.of("db", NAME));
        assertThat(mariadbCli(defaults, sqlPort, "SELECT COUNT(*) AS n FROM CLUSTER_INFO"))
                .containsExactly(Map.of("n", "7"));
        lap("mariadb --ssl read every table", step);

        step = System.nanoTime();
        try (Connection connection = DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:%d/%s?sslMode=trust".formatted(sqlPort, NAME), "root", password)) {
            assertThat(connection.getMetaData().getDriverVersion()).startsWith("4.0.0");
            checkEveryTable("MariaDB Connector/J", sqlText -> jdbc(connection, sqlText), expected);
        }
        // Its defaults verify the certificate, which a self-signed one fails, and say what to set.
        assertThatThrownBy(() -> DriverManager.getConnection(
                        "jdbc:mariadb://127.0.0.1:%d/%s".formatted(sqlPort, NAME), "root", password))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("set sslMode=trust");
        try (Connection plain = DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:%d/%s?sslMode=disable".formatted(sqlPort, NAME), "root", password)) {
            assertThat(jdbc(plain, "SELECT INSTANCE FROM CLUSTER_INFO")).hasSize(7);
        }
        lap("MariaDB Connector/J 4.0.0 (sslMode=trust) read every table", step);

        step = System.nanoTime();
        // MySQL Connector/J with no options at all: its default sslMode=PREFERRED takes the TLS offered.
        try (Connection connection = DriverManager.getConnection(
                "jdbc:mysql://127.0.0.1:%d/%s".formatted(sqlPort, NAME), "root", password)) {
            assertThat(connection.getMetaData().getDriverVersion()).contains("26.10.0");
            assertThat(jdbc(connection, "SHOW TABLES").stream()
                            .map(row -> row.values().iterator().next())
                            .toList())
                    .containsExactlyInAnyOrderElementsOf(TABLES);
            checkEveryTable("MySQL Connector/J", sqlText -> jdbc(connection, sqlText), expected);
        }
        // Without TLS it needs no allowPublicKeyRetrieval: the server never asks for the clear password.
        try (Connection plain = DriverManager.getConnection(
                "jdbc:mysql://127.0.0.1:%d/%s?sslMode=DISABLED".formatted(sqlPort, NAME), "root", password)) {
            assertThat(jdbc(plain, "SELECT INSTANCE FROM CLUSTER_INFO")).hasSize(7);
        }
        lap("MySQL Connector/J 26.10.0 (defaults) read every table", step);

        // 3. SET CONFIG: at once on every MariaDB, and still after `flotilla cluster restart`.
        step = System.nanoTime();
        try (Connection connection = DriverManager.getConnection(
                        "jdbc:mysql://127.0.0.1:%d/%s".formatted(sqlPort, NAME), "root", password);
                Statement statement = connection.createStatement()) {
            assertThat(statement.executeUpdate("SET CONFIG mariadb max_connections = 321"))
                    .isEqualTo(3);
            assertThat((Object) statement.getWarnings()).isNull();
        }
        assertThat(maxConnections(mariadbPorts, password)).containsOnly(321);
        lap("SET CONFIG mariadb max_connections = 321 seen on " + mariadbPorts, step);

        step = System.nanoTime();
        Map<String, String> startedBefore = mariadbStartTimes(sqlPort, password);
        Cli.Result restart = cli.run("cluster", "restart", NAME);
        assertThat(restart.exitCode()).as(restart.all()).isZero();
        assertThat(playground.isAlive())
                .as("the foreground playground keeps running")
                .isTrue();
        assertThat(maxConnections(mariadbPorts, password)).containsOnly(321);
        try (Connection connection = DriverManager.getConnection(
                "jdbc:mysql://127.0.0.1:%d/%s".formatted(sqlPort, NAME), "root", password)) {
            assertThat(jdbc(connection, "SHOW CONFIG WHERE Type = 'mariadb' AND Name = 'max_connections'").stream()
                            .map(row -> row.get("Instance") + "=" + row.get("Value"))
                            .toList())
                    .containsExactlyInAnyOrderElementsOf(mariadbPorts.stream()
                            .map(port -> "127.0.0.1:" + port + "=321")
                            .toList());
            // Replication came back after the restart too.
            assertEventually(
                    Duration.ofSeconds(30),
                    () -> assertThat(
                                    jdbc(connection, "SELECT INSTANCE, IO_THREAD, SQL_THREAD FROM CLUSTER_REPLICATION")
                                            .stream()
                                            .map(row -> String.join(
                                                    " ",
                                                    row.get("INSTANCE"),
                                                    row.get("IO_THREAD"),
                                                    row.get("SQL_THREAD")))
                                            .toList())
                            .containsExactlyInAnyOrder(
                                    "127.0.0.1:%d Yes Yes".formatted(mariadbPorts.get(1)),
                                    "127.0.0.1:%d Yes Yes".formatted(mariadbPorts.get(2))));
        }
        lap("cluster restart; 321 still on every MariaDB, endpoint still served", step);

        // 4. A stopped agent: one warning per instance it answers for, no hang, and its rows return.
        step = System.nanoTime();
        long agent = ProcessHandle.allProcesses()
                .filter(process -> process.info()
                        .commandLine()
                        .orElse("")
                        .contains(home.resolve("clusters/playground/deploy/flotilla-agent-playground")
                                .toString()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no agent process of the playground"))
                .pid();
        try (Connection connection = DriverManager.getConnection(
                "jdbc:mysql://127.0.0.1:%d/%s".formatted(sqlPort, NAME), "root", password)) {
            signal("STOP", agent);
            stoppedAgent = agent;
            long asked = System.nanoTime();
            List<Map<String, String>> info = jdbc(connection, "SELECT * FROM CLUSTER_INFO");
            Duration took = Duration.ofNanos(System.nanoTime() - asked);
            List<Map<String, String>> warnings = jdbc(connection, "SHOW WARNINGS");
            assertThat(info).as("the one agent answers for every instance").isEmpty();
            assertThat(took).isLessThan(Duration.ofSeconds(12));
            assertThat(warnings.stream().map(row -> row.get("Message")).toList())
                    .as("SHOW WARNINGS")
                    .hasSize(7)
                    .allSatisfy(
                            message -> assertThat(message)
                                    .matches(
                                            "instance 127\\.0\\.0\\.1:\\d+ at host 127\\.0\\.0\\.1 did not answer in 5000 ms.*"))
                    .anySatisfy(message -> assertThat(message)
                            .startsWith("instance 127.0.0.1:%d at host".formatted(mariadbPorts.getFirst())));
            assertThat(warnings).allSatisfy(row -> assertThat(row.get("Level")).isEqualTo("Warning"));
            // A table that needs no agent still answers while the agent is stopped.
            assertThat(jdbc(connection, "SELECT NAME FROM INSPECTION_RULES")).hasSize(5);
            signal("CONT", agent);
            stoppedAgent = null;
            assertThat(jdbc(connection, "SELECT * FROM CLUSTER_INFO")).hasSize(7);
            assertThat(jdbc(connection, "SHOW WARNINGS")).isEmpty();
            System.out.printf("timing: CLUSTER_INFO with the agent stopped answered in %d ms%n", took.toMillis());
        }
        lap("stopped agent: 7 warnings, no rows, rows back after SIGCONT", step);

        // 5. Ctrl-C stops the playground and its endpoint; display no longer names it.
        step = System.nanoTime();
        playground.destroy();
        assertThat(playground.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(err)).contains("Playground stopped");
        assertThat(Output.JSON
                        .readTree(cli.run("cluster", "display", NAME, "--format", "json")
                                .out())
                        .path("endpoints")
                        .has("sql"))
                .isFalse();
        Cli.Result destroy = cli.run("cluster", "destroy", NAME, "--yes");
        assertThat(destroy.exitCode()).as(destroy.all()).isZero();
        lap("Ctrl-C and destroy", step);
        lap("total", started);
    }

    /** What the playground with this port offset must show. */
    private record Expected(int offset, List<Integer> mariadbPorts) {
        String at(int port) {
            return "127.0.0.1:" + (port + offset);
        }

        String primary() {
            return "127.0.0.1:" + mariadbPorts.getFirst();
        }

        List<String> mariadbs() {
            return mariadbPorts.stream().map(port -> "127.0.0.1:" + port).toList();
        }
    }

    @FunctionalInterface
    private interface Client {
        List<Map<String, String>> query(String sql) throws Exception;
    }

    /** Reads each table with SELECT * and checks what it says about the playground. */
    private static void checkEveryTable(String client, Client sql, Expected expected) throws Exception {
        Map<String, List<Map<String, String>>> tables = new LinkedHashMap<>();
        for (String table : TABLES) {
            String select = "SELECT * FROM INFORMATION_SCHEMA." + table
                    + (table.equals("CLUSTER_LOG") ? " WHERE `TIME` > CURRENT_TIMESTAMP - INTERVAL '1' HOUR" : "");
            tables.put(table, sql.query(select));
        }
        String as = client + ": ";

        assertThat(tables.get("CLUSTER_INFO").stream()
                        .map(row -> row.get("TYPE") + " " + row.get("INSTANCE") + " " + row.get("STATUS_ADDRESS"))
                        .toList())
                .as(as + "CLUSTER_INFO")
                .containsExactlyInAnyOrder(
                        "mariadb %s %s".formatted(expected.mariadbs().get(0), expected.at(9760)),
                        "mariadb %s %s".formatted(expected.mariadbs().get(1), expected.at(9760)),
                        "mariadb %s %s".formatted(expected.mariadbs().get(2), expected.at(9760)),
                        "haproxy %s %s".formatted(expected.at(4000), expected.at(9760)),
                        "prometheus %s %s".formatted(expected.at(9090), expected.at(9760)),
                        "node_exporter %s %s".formatted(expected.at(9100), expected.at(9760)),
                        "blackbox_exporter %s %s".formatted(expected.at(9115), expected.at(9760)));
        assertThat(tables.get("CLUSTER_INFO"))
                .as(as + "CLUSTER_INFO versions")
                .allSatisfy(row -> assertThat(row.get("VERSION")).isNotBlank())
                .filteredOn(row -> row.get("TYPE").equals("mariadb"))
                .allSatisfy(row -> assertThat(row.get("VERSION")).contains("MariaDB"))
                .extracting(row -> row.get("SERVER_ID"))
                .containsExactlyInAnyOrder("1", "2", "3");

        assertThat(tables.get("CLUSTER_CONFIG").stream()
                        .filter(row -> row.get("KEY").equals("max_connections"))
                        .map(row -> row.get("INSTANCE"))
                        .toList())
                .as(as + "CLUSTER_CONFIG max_connections")
                .containsExactlyInAnyOrderElementsOf(expected.mariadbs());

        assertThat(tables.get("CLUSTER_LOAD").stream()
                        .filter(row -> row.get("DEVICE_TYPE").equals("cpu")
                                && row.get("NAME").equals("load1"))
                        .map(row -> row.get("INSTANCE"))
                        .collect(Collectors.toSet()))
                .as(as + "CLUSTER_LOAD cpu load1 per instance")
                .hasSize(7);
        assertThat(tables.get("CLUSTER_LOAD"))
                .as(as + "CLUSTER_LOAD memory total")
                .anySatisfy(row -> {
                    assertThat(row.get("DEVICE_TYPE") + " " + row.get("NAME")).isEqualTo("memory total");
                    assertThat(Long.parseLong(row.get("VALUE"))).isGreaterThan(100L << 20);
                });

        assertThat(tables.get("CLUSTER_HARDWARE"))
                .as(as + "CLUSTER_HARDWARE logical cores")
                .anySatisfy(row -> {
                    assertThat(row.get("NAME")).isEqualTo("cpu-logical-cores");
                    assertThat(Integer.parseInt(row.get("VALUE"))).isPositive();
                });

        assertThat(tables.get("CLUSTER_SYSTEMINFO"))
                .as(as + "CLUSTER_SYSTEMINFO kernel.pid_max, whole")
                .anySatisfy(row -> {
                    assertThat(row.get("NAME")).isEqualTo("kernel.pid_max");
                    assertThat(Integer.parseInt(row.get("VALUE"))).isGreaterThanOrEqualTo(301);
                });

        assertThat(tables.get("CLUSTER_LOG").stream()
                        .filter(row -> row.get("TYPE").equals("mariadb")
                                && row.get("MESSAGE").contains("ready for connections"))
                        .map(row -> row.get("INSTANCE"))
                        .collect(Collectors.toSet()))
                .as(as + "CLUSTER_LOG: every MariaDB said it is ready for connections")
                .containsExactlyInAnyOrderElementsOf(expected.mariadbs());

        assertThat(tables.get("CLUSTER_SLOW_QUERY"))
                .as(as + "CLUSTER_SLOW_QUERY has the probe from the primary")
                .anySatisfy(row -> {
                    assertThat(row.get("INSTANCE")).isEqualTo(expected.primary());
                    assertThat(row.get("QUERY")).contains("flotilla-slow-probe");
                });

        assertThat(tables.get("CLUSTER_PROCESSLIST").stream()
                        .filter(row -> row.get("COMMAND").startsWith("Binlog Dump"))
                        .map(row -> row.get("INSTANCE"))
                        .toList())
                .as(as + "CLUSTER_PROCESSLIST: the primary feeds both replicas")
                .containsExactly(expected.primary(), expected.primary());
        assertThat(tables.get("CLUSTER_PROCESSLIST").stream()
                        .filter(row -> row.get("COMMAND").equals("Slave_IO"))
                        .map(row -> row.get("INSTANCE"))
                        .toList())
                .as(as + "CLUSTER_PROCESSLIST: each replica's IO thread")
                .containsExactlyInAnyOrder(
                        expected.mariadbs().get(1), expected.mariadbs().get(2));

        assertThat(tables.get("CLUSTER_REPLICATION").stream()
                        .map(row -> String.join(
                                " ",
                                row.get("INSTANCE"),
                                row.get("PRIMARY"),
                                row.get("IO_THREAD"),
                                row.get("SQL_THREAD")))
                        .toList())
                .as(as + "CLUSTER_REPLICATION")
                .containsExactlyInAnyOrder(
                        "%s %s Yes Yes".formatted(expected.mariadbs().get(1), expected.primary()),
                        "%s %s Yes Yes".formatted(expected.mariadbs().get(2), expected.primary()));

        assertThat(tables.get("INSPECTION_RULES").stream()
                        .map(row -> row.get("NAME"))
                        .toList())
                .as(as + "INSPECTION_RULES")
                .containsExactly("config", "version", "node-load", "replication", "critical-error");

        // The rules ran over this cluster: whatever they find names its instances and a known rule.
        assertThat(tables.get("INSPECTION_RESULT"))
                .as(as + "INSPECTION_RESULT")
                .allSatisfy(row -> {
                    assertThat(row.get("RULE")).isIn("config", "version", "node-load", "replication", "critical-error");
                    assertThat(row.get("INSTANCE")).startsWith("127.0.0.1:");
                    assertThat(row.get("STATUS_ADDRESS")).isEqualTo(expected.at(9760));
                })
                .noneSatisfy(row -> assertThat(row.get("RULE")).isIn("config", "version", "replication"));
        System.out.printf(
                "%s rows: %s%n",
                client,
                tables.entrySet().stream()
                        .map(entry -> entry.getKey() + "=" + entry.getValue().size())
                        .collect(Collectors.joining(" ")));
    }

    /** Rows by column label; every value as the client's text. */
    private static List<Map<String, String>> jdbc(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            ResultSetMetaData meta = rows.getMetaData();
            List<Map<String, String>> result = new ArrayList<>();
            while (rows.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.put(meta.getColumnLabel(i), rows.getString(i));
                }
                result.add(row);
            }
            return result;
        }
    }

    /**
     * The real `mariadb` command line over TLS ({@code --ssl}), its password in a 0600 defaults
     * file, never in its arguments; rows from its --batch output (tab-separated, escaped).
     */
    private static List<Map<String, String>> mariadbCli(Path defaults, int port, String sql) throws Exception {
        Process process = new ProcessBuilder(
                        "mariadb",
                        "--defaults-extra-file=" + defaults,
                        "--ssl",
                        "-h",
                        "127.0.0.1",
                        "-P",
                        String.valueOf(port),
                        "-u",
                        "root",
                        "--batch",
                        "-e",
                        sql)
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String error = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("mariadb -e \"%s\": %s", sql, error).isZero();
        List<String> lines = output.lines().toList();
        if (lines.isEmpty()) {
            return List.of();
        }
        List<String> header = List.of(lines.getFirst().split("\t", -1));
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split("\t", -1);
            assertThat(cells).as(line).hasSize(header.size());
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < cells.length; i++) {
                row.put(header.get(i), unescape(cells[i]));
            }
            rows.add(row);
        }
        return rows;
    }

    private static String unescape(String cell) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < cell.length(); i++) {
            char c = cell.charAt(i);
            if (c == '\\' && i + 1 < cell.length()) {
                char next = cell.charAt(++i);
                text.append(
                        switch (next) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            case '0' -> '\0';
                            default -> next;
                        });
            } else {
                text.append(c);
            }
        }
        return text.toString();
    }

    /** START_TIME of each MariaDB by instance, as CLUSTER_INFO shows it (ISO-8601, so ordered as text). */
    private static Map<String, String> mariadbStartTimes(int sqlPort, String password) throws SQLException {
        try (Connection connection = DriverManager.getConnection(
                "jdbc:mysql://127.0.0.1:%d/%s".formatted(sqlPort, NAME), "root", password)) {
            Map<String, String> times = new LinkedHashMap<>();
            jdbc(connection, "SELECT INSTANCE, START_TIME FROM CLUSTER_INFO WHERE TYPE = 'mariadb'")
                    .forEach(row -> times.put(row.get("INSTANCE"), row.get("START_TIME")));
            return times;
        }
    }

    /** @@max_connections of each MariaDB, asked directly with MariaDB Connector/J. */
    private static Set<Integer> maxConnections(List<Integer> ports, String password) throws Exception {
        Set<Integer> values = new TreeSet<>();
        for (int port : ports) {
            try (Connection connection = LocalClusterTest.connect(port, password);
                    Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT @@GLOBAL.max_connections")) {
                assertThat(rows.next()).isTrue();
                values.add(rows.getInt(1));
            }
        }
        return values;
    }

    /** The playground's JSON document, printed once it is up; fails with its output if it exits first. */
    private static JsonNode awaitJson(Path out, Path err) throws Exception {
        AtomicReference<JsonNode> json = new AtomicReference<>();
        assertEventually(Duration.ofSeconds(150), () -> {
            Optional<JsonNode> printed = parsed(out);
            if (printed.isEmpty() && !playground.isAlive()) {
                fail("the playground exited with %d: %s%s"
                        .formatted(playground.exitValue(), Files.readString(out), Files.readString(err)));
            }
            assertThat(printed)
                    .as("the playground's JSON: %s%s", Files.readString(out), Files.readString(err))
                    .isPresent();
            json.set(printed.get());
        });
        return json.get();
    }

    private static Optional<JsonNode> parsed(Path out) throws IOException {
        String text = Files.readString(out).strip();
        if (!text.endsWith("}")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Output.JSON.readTree(text));
        } catch (RuntimeException incomplete) {
            return Optional.empty();
        }
    }

    private static String port(String address) {
        return address.substring(address.lastIndexOf(':') + 1);
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid))
                .redirectErrorStream(true)
                .start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    private static void lap(String what, long since) {
        System.out.printf("timing: %-70s %.1f s%n", what, (System.nanoTime() - since) / 1e9);
    }
}
