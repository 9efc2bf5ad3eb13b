package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.ConfigItem;
import io.flotilla.agent.api.ConfigResult;
import io.flotilla.agent.api.InstanceDetails;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.ReplicaStatus;
import io.flotilla.agent.api.Session;
import io.flotilla.agent.api.SlowQuery;
import io.flotilla.agent.api.SqlAdmin;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and changes the config of the agent's instances, and reads what MySQL-compatible instances
 * know of themselves: sessions, slow queries, replication. A SQL instance is reached as its spec's
 * {@link SqlAdmin} says; other components show the settings of their command line.
 */
public final class InstanceAdmin {
    private static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,127}");
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
    private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern FLAG = Pattern.compile("--?([A-Za-z][A-Za-z0-9_.-]*)(?:=(.*))?");
    private static final int MAX_SLOW_QUERIES = 10_000;

    private final Supervisor supervisor;
    private final Map<String, String> versions = new ConcurrentHashMap<>();

    public InstanceAdmin(Supervisor supervisor) {
        this.supervisor = supervisor;
    }

    /** The instance's effective settings: the server's global variables, or its command-line flags. */
    public List<ConfigItem> config(String id) {
        InstanceSpec spec = supervisor.spec(id);
        if (spec.sql() == null) {
            return flags(spec);
        }
        return withSql(spec, connection -> {
            List<ConfigItem> items = new ArrayList<>();
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SHOW GLOBAL VARIABLES")) {
                while (rows.next()) {
                    items.add(new ConfigItem(rows.getString(1), nullToEmpty(rows.getString(2))));
                }
            }
            return items;
        });
    }

    private static List<ConfigItem> flags(InstanceSpec spec) {
        List<ConfigItem> items = new ArrayList<>();
        List<String> command = spec.command();
        for (int i = 1; i < command.size(); i++) {
            Matcher flag = FLAG.matcher(command.get(i));
            if (!flag.matches()) {
                continue;
            }
            String value = flag.group(2);
            if (value == null) {
                boolean nextIsValue =
                        i + 1 < command.size() && !command.get(i + 1).startsWith("-");
                value = nextIsValue ? command.get(++i) : "true";
            }
            items.add(new ConfigItem(flag.group(1), value));
        }
        return items;
    }

    /**
     * Changes one setting: live with {@code SET GLOBAL} when the variable is dynamic, and in the option
     * file so that it survives a restart. A variable that is not dynamic is only written to the option
     * file, and the result says a restart is needed.
     *
     * @throws AgentException with {@link Code#REFUSED} when the component or the server refuses the
     *     change, saying why
     */
    public ConfigResult set(String id, String key, String value) {
        InstanceSpec spec = supervisor.spec(id);
        if (!KEY.matcher(key).matches()) {
            throw new AgentException(
                    Code.BAD_REQUEST, "%s is not a setting name: use letters, digits, '_', '-' and '.'".formatted(key));
        }
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
            throw new AgentException(Code.BAD_REQUEST, "the value of %s holds a line break".formatted(key));
        }
        SqlAdmin admin = spec.sql();
        if (admin == null) {
            throw new AgentException(
                    Code.REFUSED,
                    "%s %s does not change settings while it runs; change it in the topology and run `flotilla cluster reload`"
                            .formatted(spec.component(), id));
        }
        String variable = key.replace('-', '_').toLowerCase(Locale.ROOT);
        return withSql(spec, connection -> {
            boolean dynamic;
            Optional<String> problem;
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT READ_ONLY, VARIABLE_TYPE, NUMERIC_MIN_VALUE, NUMERIC_MAX_VALUE, ENUM_VALUE_LIST"
                            + " FROM information_schema.SYSTEM_VARIABLES WHERE VARIABLE_NAME = ?")) {
                statement.setString(1, variable.toUpperCase(Locale.ROOT));
                try (ResultSet rows = statement.executeQuery()) {
                    if (!rows.next()) {
                        throw new AgentException(
                                Code.REFUSED, "%s %s has no variable %s".formatted(spec.component(), id, variable));
                    }
                    dynamic = rows.getString(1).equals("NO");
                    problem = StaticValues.problem(
                            rows.getString(2), rows.getString(3), rows.getString(4), rows.getString(5), value);
                }
            }
            if (!dynamic) {
                // The server reads it only at its next start, where a value it refuses keeps it down.
                if (problem.isPresent()) {
                    throw new AgentException(
                            Code.REFUSED,
                            "%s %s refused %s = %s: %s; it is read at start only, so nothing was written"
                                    .formatted(spec.component(), id, variable, value, problem.get()));
                }
                persist(admin, variable, value);
                return new ConfigResult(
                        id,
                        variable,
                        value,
                        false,
                        true,
                        "%s is not dynamic in %s %s: written to %s, it takes effect when the instance restarts"
                                .formatted(variable, spec.component(), id, admin.optionFile()));
            }
            String applied;
            String adjusted = "";
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET GLOBAL %s = %s".formatted(variable, literal(value)));
                SQLWarning warning = statement.getWarnings();
                if (warning != null) {
                    adjusted = warning.getMessage();
                }
                try (ResultSet rows = statement.executeQuery("SELECT @@GLOBAL." + variable)) {
                    rows.next();
                    applied = nullToEmpty(rows.getString(1));
                }
            } catch (SQLException e) {
                throw new AgentException(
                        Code.REFUSED,
                        "%s %s refused %s = %s: %s"
                                .formatted(
                                        spec.component(),
                                        id,
                                        variable,
                                        value,
                                        SqlConnections.firstLine(e.getMessage())));
            }
            persist(admin, variable, applied);
            return new ConfigResult(
                    id,
                    variable,
                    applied,
                    true,
                    true,
                    adjusted.isEmpty() ? "" : "%s %s adjusted the value: %s".formatted(spec.component(), id, adjusted));
        });
    }

    // Numbers and keywords (ON, OFF, DEFAULT) go as they are; anything else as a quoted string.
    private static String literal(String value) {
        if (NUMBER.matcher(value).matches() || WORD.matcher(value).matches()) {
            return value;
        }
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** Writes {@code key = value} into the option file's section, replacing the line that set it before. */
    static void persist(SqlAdmin admin, String key, String value) {
        Path file = Path.of(admin.optionFile());
        List<String> lines;
        try {
            lines = new ArrayList<>(Files.readAllLines(file, UTF_8));
        } catch (IOException e) {
            throw new AgentException(Code.INTERNAL, "cannot read option file %s: %s".formatted(file, e));
        }
        String section = "[" + admin.optionSection() + "]";
        int start = -1;
        int end = lines.size();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.equals(section)) {
                start = i;
            } else if (start >= 0 && line.startsWith("[") && i > start) {
                end = i;
                break;
            }
        }
        String written = "%s = %s".formatted(key, SqlAdmin.optionFileValue(value));
        if (start < 0) {
            lines.add(section);
            lines.add(written);
        } else {
            int found = -1;
            int lastSetting = start;
            for (int i = start + 1; i < end; i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                    continue;
                }
                lastSetting = i;
                int equals = line.indexOf('=');
                String name = (equals < 0 ? line : line.substring(0, equals)).strip();
                if (name.replace('-', '_').equalsIgnoreCase(key)) {
                    found = i;
                }
            }
            if (found >= 0) {
                lines.set(found, written);
            } else {
                lines.add(lastSetting + 1, written);
            }
        }
        try {
            AtomicFiles.write(
                    file, (String.join("\n", lines) + "\n").getBytes(UTF_8), Files.getPosixFilePermissions(file));
        } catch (IOException | RuntimeException e) {
            throw new AgentException(Code.INTERNAL, "cannot write option file %s: %s".formatted(file, e.getMessage()));
        }
    }

    /** The sessions of a SQL instance. */
    public List<Session> sessions(String id) {
        InstanceSpec spec = sqlSpec(id);
        return withSql(spec, connection -> {
            List<Session> sessions = new ArrayList<>();
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery(
                            "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, INFO FROM information_schema.PROCESSLIST ORDER BY ID")) {
                while (rows.next()) {
                    sessions.add(new Session(
                            rows.getLong(1),
                            nullToEmpty(rows.getString(2)),
                            nullToEmpty(rows.getString(3)),
                            nullToEmpty(rows.getString(4)),
                            nullToEmpty(rows.getString(5)),
                            rows.getLong(6),
                            nullToEmpty(rows.getString(7)),
                            nullToEmpty(rows.getString(8))));
                }
            }
            return sessions;
        });
    }

    /** The replication of a replica; empty for an instance that replicates from nobody. */
    public List<ReplicaStatus> replication(String id) {
        InstanceSpec spec = sqlSpec(id);
        return withSql(spec, connection -> {
            try (Statement statement = connection.createStatement()) {
                String slavePos;
                String currentPos;
                try (ResultSet rows =
                        statement.executeQuery("SELECT @@GLOBAL.gtid_slave_pos, @@GLOBAL.gtid_current_pos")) {
                    rows.next();
                    slavePos = nullToEmpty(rows.getString(1));
                    currentPos = nullToEmpty(rows.getString(2));
                }
                List<ReplicaStatus> replicas = new ArrayList<>();
                try (ResultSet rows = statement.executeQuery("SHOW SLAVE STATUS")) {
                    while (rows.next()) {
                        replicas.add(ReplicationAdmin.replicaStatus(rows, slavePos, currentPos));
                    }
                }
                return replicas;
            }
        });
    }

    /** The instance's version (the server's, or its program's {@code --version}), start time and server id. */
    public InstanceDetails details(String id) {
        InstanceSpec spec = supervisor.spec(id);
        InstanceStatus status = supervisor.status(id);
        Instant started = status.state() == InstanceStatus.State.RUNNING ? status.since() : null;
        if (spec.sql() != null && started != null) {
            return withSql(spec, connection -> {
                try (Statement statement = connection.createStatement();
                        ResultSet rows = statement.executeQuery("SELECT @@version, @@server_id")) {
                    rows.next();
                    return new InstanceDetails(rows.getString(1), started, rows.getLong(2));
                }
            });
        }
        return new InstanceDetails(
                versions.computeIfAbsent(spec.command().getFirst(), InstanceAdmin::programVersion), started, 0);
    }

    private static String programVersion(String program) {
        try {
            Process process = new ProcessBuilder(program, "--version")
                    .redirectErrorStream(true)
                    .start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readNBytes(4096);
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            String text = new String(output, UTF_8).strip();
            Matcher version = Pattern.compile("\\d+\\.\\d+(\\.\\d+)?[-+.\\w]*").matcher(text);
            return version.find() ? version.group() : text.lines().findFirst().orElse("");
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The entries of the slow query log whose time is in {@code [from, to]}, at most {@code limit}. */
    public List<SlowQuery> slowQueries(String id, Instant from, Instant to, int limit) {
        InstanceSpec spec = sqlSpec(id);
        if (spec.sql().slowLogFile().isEmpty()) {
            return List.of();
        }
        Path file = Path.of(spec.sql().slowLogFile());
        List<SlowQuery> found = new ArrayList<>();
        var decoder = UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
            SlowParser parser = new SlowParser();
            String line;
            while ((line = reader.readLine()) != null) {
                SlowQuery entry = parser.line(line);
                if (entry != null
                        && !entry.time().isBefore(from)
                        && !entry.time().isAfter(to)) {
                    found.add(entry);
                    if (found.size() >= Math.min(limit, MAX_SLOW_QUERIES)) {
                        break;
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new AgentException(Code.INTERNAL, "cannot read slow log %s of %s: %s".formatted(file, id, e));
        }
        return found;
    }

    /**
     * MariaDB's slow log: a block of {@code #} lines ({@code User@Host}, {@code Thread_id},
     * {@code Query_time}), then {@code SET timestamp=N;} (the entry's time, always present) and the
     * statement up to its {@code ;}.
     */
    static final class SlowParser {
        private static final Pattern USER_HOST = Pattern.compile("^# User@Host: (\\S*?)\\[[^]]*] @ (\\S*) \\[([^]]*)]");
        private static final Pattern THREAD = Pattern.compile("Thread_id: (\\d+)\\s+Schema: (\\S*)");
        private static final Pattern TIMES = Pattern.compile(
                "Query_time: ([\\d.]+)\\s+Lock_time: ([\\d.]+)\\s+Rows_sent: (\\d+)\\s+Rows_examined: (\\d+)");
        private static final Pattern TIMESTAMP = Pattern.compile("^SET timestamp=(\\d+);$");

        private String user = "";
        private String host = "";
        private long thread;
        private String db = "";
        private double queryTime;
        private double lockTime;
        private long rowsSent;
        private long rowsExamined;
        private Instant time;
        private StringBuilder query;

        /** Feeds one line; returns an entry when the line ends one. */
        SlowQuery line(String line) {
            if (line.startsWith("# User@Host:")) {
                Matcher matcher = USER_HOST.matcher(line);
                if (matcher.find()) {
                    user = matcher.group(1);
                    host = matcher.group(2).isEmpty() ? matcher.group(3) : matcher.group(2);
                }
                time = null;
                query = null;
                return null;
            }
            if (line.startsWith("#")) {
                Matcher threadMatcher = THREAD.matcher(line);
                if (threadMatcher.find()) {
                    thread = Long.parseLong(threadMatcher.group(1));
                    db = threadMatcher.group(2);
                }
                Matcher times = TIMES.matcher(line);
                if (times.find()) {
                    queryTime = Double.parseDouble(times.group(1));
                    lockTime = Double.parseDouble(times.group(2));
                    rowsSent = Long.parseLong(times.group(3));
                    rowsExamined = Long.parseLong(times.group(4));
                }
                return null;
            }
            Matcher timestamp = TIMESTAMP.matcher(line);
            if (timestamp.matches()) {
                time = Instant.ofEpochSecond(Long.parseLong(timestamp.group(1)));
                query = new StringBuilder();
                return null;
            }
            if (query == null || line.startsWith("use ") && query.isEmpty()) {
                return null;
            }
            query.append(query.isEmpty() ? "" : "\n").append(line);
            if (line.endsWith(";")) {
                String text = query.toString();
                query = null;
                return new SlowQuery(
                        time,
                        user,
                        host,
                        thread,
                        queryTime,
                        lockTime,
                        rowsSent,
                        rowsExamined,
                        db,
                        text.substring(0, text.length() - 1));
            }
            return null;
        }
    }

    private InstanceSpec sqlSpec(String id) {
        InstanceSpec spec = supervisor.spec(id);
        if (spec.sql() == null) {
            throw new AgentException(Code.BAD_REQUEST, "%s %s does not speak SQL".formatted(spec.component(), id));
        }
        return spec;
    }

    private <T> T withSql(InstanceSpec spec, SqlWork<T> work) {
        try (Connection connection = SqlConnections.open(spec, Duration.ofSeconds(10))) {
            return work.run(connection);
        } catch (SQLException e) {
            throw SqlConnections.down(spec, e);
        }
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
