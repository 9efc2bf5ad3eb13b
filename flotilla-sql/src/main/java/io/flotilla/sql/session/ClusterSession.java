package io.flotilla.sql.session;

import static java.util.Objects.requireNonNull;

import io.flotilla.sql.ClusterSql;
import io.flotilla.sql.SqlError;
import io.flotilla.sql.Warning;
import io.flotilla.sql.Warnings;
import io.flotilla.sql.protocol.Column;
import io.flotilla.sql.protocol.MysqlServer;
import io.flotilla.sql.protocol.SqlBackend;
import io.flotilla.sql.protocol.StatementResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.calcite.schema.Schema;

/**
 * One client's session: its current database, its warnings, and the statements MySQL clients send
 * that are answered here rather than by Calcite ({@code SET NAMES}, {@code SELECT @@…}, {@code SHOW
 * …}, {@code USE}, {@code SET CONFIG}).
 *
 * <p>A cluster is a database whose tables any session can name ({@code playground.CLUSTER_INFO}).
 * While one is selected its tables are also named bare ({@code CLUSTER_INFO}) and as those of
 * {@code INFORMATION_SCHEMA}, as in TiDB. {@code USE information_schema} keeps the cluster chosen
 * before it, or the only one when the server serves exactly one.
 */
public final class ClusterSession implements SqlBackend.Session {
    public static final String INFORMATION_SCHEMA = "information_schema";

    static final int ER_UNKNOWN_SYSTEM_VARIABLE = 1193;

    private static final int FLAGS = Pattern.CASE_INSENSITIVE | Pattern.DOTALL;
    private static final Pattern USE = Pattern.compile("USE\\s+(`[^`]+`|\\S+)", FLAGS);
    private static final Pattern SHOW_DATABASES =
            Pattern.compile("SHOW\\s+(?:DATABASES|SCHEMAS)(?:\\s+LIKE\\s+('(?:[^']|'')*'))?", FLAGS);
    private static final Pattern SHOW_TABLES = Pattern.compile(
            "SHOW\\s+(FULL\\s+)?TABLES(?:\\s+(?:FROM|IN)\\s+(`[^`]+`|\\S+))?(?:\\s+LIKE\\s+('(?:[^']|'')*'))?", FLAGS);
    private static final Pattern SHOW_WARNINGS =
            Pattern.compile("SHOW\\s+(WARNINGS|ERRORS)(?:\\s+LIMIT\\s+(\\d+)(?:\\s*,\\s*(\\d+))?)?", FLAGS);
    private static final Pattern SHOW_COUNT_WARNINGS =
            Pattern.compile("SHOW\\s+COUNT\\s*\\(\\s*\\*\\s*\\)\\s+(WARNINGS|ERRORS)", FLAGS);
    private static final Pattern SHOW_VARIABLES = Pattern.compile(
            "SHOW\\s+(?:GLOBAL\\s+|SESSION\\s+|LOCAL\\s+)?VARIABLES(?:\\s+LIKE\\s+('(?:[^']|'')*')|\\s+WHERE\\s+(.+))?",
            FLAGS);
    private static final Pattern SHOW_CONFIG =
            Pattern.compile("SHOW\\s+CONFIG(?:\\s+LIKE\\s+('(?:[^']|'')*')|\\s+WHERE\\s+(.+))?", FLAGS);
    private static final Pattern SET_CONFIG = Pattern.compile(
            "SET\\s+CONFIG\\s+('(?:[^'\\\\]|''|\\\\.)*'|\"(?:[^\"\\\\]|\"\"|\\\\.)*\"|`[^`]+`|[\\w.:\\-]+)\\s+"
                    + "(`[^`]+`|[\\w.\\-]+)\\s*=\\s*(.+)",
            FLAGS);
    private static final Pattern CONFIG_VALUE =
            Pattern.compile("'(?:[^'\\\\]|''|\\\\.)*'|\"(?:[^\"\\\\]|\"\"|\\\\.)*\"|[\\w.+\\-:/]+", FLAGS);
    private static final Pattern SET_GLOBAL = Pattern.compile("SET\\s+(?:GLOBAL\\s|PERSIST\\s|@@global\\.).*", FLAGS);
    private static final Pattern SET = Pattern.compile("SET\\s+(.+)", FLAGS);
    private static final Pattern SET_NAMES =
            Pattern.compile("(?:NAMES|CHARACTER\\s+SET|CHARSET)\\s+(\\S+)(?:\\s+COLLATE\\s+(\\S+))?", FLAGS);
    private static final Pattern ASSIGNMENT = Pattern.compile(
            "(?:SESSION\\s+|LOCAL\\s+|@@SESSION\\.|@@LOCAL\\.|@@)?([\\w.]+)\\s*(?::=|=)\\s*(.*)", FLAGS);
    private static final Pattern TRANSACTION = Pattern.compile(
            "BEGIN(?:\\s+WORK)?|START\\s+TRANSACTION.*|COMMIT(?:\\s+WORK)?|ROLLBACK(?:\\s+WORK)?|SET\\s+TRANSACTION.*",
            FLAGS);
    private static final Pattern WRITE = Pattern.compile(
            "(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE|RENAME|GRANT|REVOKE|LOAD)\\b.*", FLAGS);
    private static final Pattern SELECT_WITHOUT_FROM = Pattern.compile("SELECT\\s+(.+?)(?:\\s+LIMIT\\s+\\d+)?", FLAGS);
    private static final Pattern SELECT_ITEM =
            Pattern.compile("(.+?)(?:\\s+(?:AS\\s+)?(`[^`]+`|'[^']*'|\"[^\"]*\"|[A-Za-z_][\\w$]*))?", FLAGS);
    private static final Pattern SYSTEM_VARIABLE =
            Pattern.compile("@@(?:(SESSION|GLOBAL|LOCAL)\\.)?([A-Za-z_][\\w]*)", FLAGS);
    private static final Pattern FUNCTION = Pattern.compile("([A-Za-z_]+)\\s*(?:\\(\\s*\\))?", FLAGS);
    private static final Pattern NUMBER = Pattern.compile("-?\\d+");
    private static final Pattern STRING = Pattern.compile("'(?:[^'\\\\]|''|\\\\.)*'");

    private final ClusterSql clusters;
    private final Account account;
    private final String clientHost;
    private final long connectionId;
    private final Warnings warnings = new Warnings();
    private final SystemVariables variables;

    private String database;
    private String cluster;
    private CalciteQueries calcite;

    ClusterSession(
            ClusterSql clusters, Account account, String clientHost, long connectionId, SystemVariables variables) {
        this.clusters = requireNonNull(clusters, "clusters is null");
        this.account = requireNonNull(account, "account is null");
        this.clientHost = requireNonNull(clientHost, "clientHost is null");
        this.connectionId = connectionId;
        this.variables = requireNonNull(variables, "variables is null");
        List<String> names = clusters.databases();
        this.cluster = names.size() == 1 ? names.getFirst() : null;
    }

    /** The database {@code USE} selected, or {@code null}. */
    public String database() {
        return database;
    }

    public Warnings warnings() {
        return warnings;
    }

    @Override
    public int warningCount() {
        return warnings.count();
    }

    @Override
    public void use(String name) {
        String requested = SqlText.unquote(name.strip());
        if (requested.equalsIgnoreCase(INFORMATION_SCHEMA)) {
            database = INFORMATION_SCHEMA;
        } else if (clusters.databases().contains(requested)) {
            database = requested;
            cluster = requested;
        } else {
            throw new SqlError(SqlError.ER_BAD_DB_ERROR, "42000", "Unknown database '%s'".formatted(requested));
        }
        closeCalcite();
    }

    @Override
    public StatementResult execute(String sql) {
        String statement = SqlText.strip(sql);
        boolean readsWarnings = SHOW_WARNINGS.matcher(statement).matches()
                || SHOW_COUNT_WARNINGS.matcher(statement).matches()
                || statement.toLowerCase(Locale.ROOT).contains("@@warning_count");
        if (!readsWarnings) {
            warnings.clear();
        }
        if (statement.isEmpty()) {
            throw new SqlError(SqlError.ER_PARSE_ERROR, "42000", "Query was empty");
        }
        Matcher m;
        if ((m = USE.matcher(statement)).matches()) {
            use(m.group(1));
            return StatementResult.ok();
        }
        if ((m = SHOW_DATABASES.matcher(statement)).matches()) {
            return showDatabases(m.group(1));
        }
        if ((m = SHOW_TABLES.matcher(statement)).matches()) {
            return showTables(m.group(1) != null, m.group(2), m.group(3));
        }
        if ((m = SHOW_WARNINGS.matcher(statement)).matches()) {
            return showWarnings(m.group(1).equalsIgnoreCase("ERRORS"), m.group(2), m.group(3));
        }
        if ((m = SHOW_COUNT_WARNINGS.matcher(statement)).matches()) {
            boolean errors = m.group(1).equalsIgnoreCase("ERRORS");
            long count = warnings.list().stream()
                    .filter(w -> !errors || w.level().equals("Error"))
                    .count();
            return new StatementResult.Rows(
                    List.of(Column.bigint("@@session.%s_count".formatted(errors ? "error" : "warning"))),
                    List.of(List.of(String.valueOf(count))));
        }
        if ((m = SHOW_VARIABLES.matcher(statement)).matches()) {
            return showVariables(m.group(1), m.group(2));
        }
        if ((m = SHOW_CONFIG.matcher(statement)).matches()) {
            return showConfig(m.group(1), m.group(2));
        }
        if (statement.regionMatches(true, 0, "SET CONFIG", 0, 10) || statement.matches("(?is)SET\\s+CONFIG\\b.*")) {
            return setConfig(statement);
        }
        if (SET_GLOBAL.matcher(statement).matches()) {
            throw new SqlError(
                    SqlError.ER_NOT_SUPPORTED_YET,
                    "42000",
                    "SET GLOBAL is not how Flotilla changes a cluster: use SET CONFIG <type | 'host:port'> <key> = <value>");
        }
        if (TRANSACTION.matcher(statement).matches()) {
            return StatementResult.ok();
        }
        if ((m = SET.matcher(statement)).matches()) {
            return set(m.group(1));
        }
        if (WRITE.matcher(statement).matches()) {
            throw new SqlError(
                    SqlError.ER_NOT_SUPPORTED_YET,
                    "42000",
                    "the cluster tables are read-only; change settings with SET CONFIG <type | 'host:port'> <key> = <value>");
        }
        if (!statement.regionMatches(true, 0, "SELECT", 0, 6)
                && !statement.regionMatches(true, 0, "WITH", 0, 4)
                && !statement.regionMatches(true, 0, "VALUES", 0, 6)
                && !statement.regionMatches(true, 0, "(", 0, 1)) {
            throw new SqlError(
                    SqlError.ER_PARSE_ERROR,
                    "42000",
                    "You have an error in your SQL syntax: Flotilla does not know the statement near '%s'"
                            .formatted(SqlText.near(statement)));
        }
        Optional<StatementResult> probe = selectWithoutFrom(statement);
        if (probe.isPresent()) {
            return probe.get();
        }
        return calcite().query(statement, database);
    }

    private StatementResult showDatabases(String like) {
        TreeSet<String> names = new TreeSet<>(clusters.databases());
        names.add(INFORMATION_SCHEMA);
        List<List<String>> rows = names.stream()
                .filter(name -> like == null
                        || SqlText.like(SqlText.unquote(like)).matcher(name).matches())
                .map(List::of)
                .toList();
        return new StatementResult.Rows(List.of(Column.varchar("Database")), rows);
    }

    private StatementResult showTables(boolean full, String from, String like) {
        String target = from == null ? database : SqlText.unquote(from);
        if (target == null) {
            throw noDatabase();
        }
        if (!target.equalsIgnoreCase(INFORMATION_SCHEMA)
                && !clusters.databases().contains(target)) {
            throw new SqlError(SqlError.ER_BAD_DB_ERROR, "42000", "Unknown database '%s'".formatted(target));
        }
        String clusterName = target.equalsIgnoreCase(INFORMATION_SCHEMA) ? cluster : target;
        List<String> tables = clusterName == null ? List.of() : tableNames(clusterName);
        List<List<String>> rows = tables.stream()
                .filter(name -> like == null
                        || SqlText.like(SqlText.unquote(like)).matcher(name).matches())
                .map(name -> full ? List.of(name, "SYSTEM VIEW") : List.of(name))
                .toList();
        List<Column> columns = new ArrayList<>(List.of(Column.varchar("Tables_in_" + target)));
        if (full) {
            columns.add(Column.varchar("Table_type"));
        }
        return new StatementResult.Rows(columns, rows);
    }

    @SuppressWarnings("deprecation") // Schema.getTableNames: the Lookup API that replaces it needs no more here.
    private List<String> tableNames(String clusterName) {
        Schema schema = clusters.informationSchema(clusterName, warnings);
        return new TreeSet<>(schema.getTableNames()).stream().toList();
    }

    private StatementResult showWarnings(boolean errorsOnly, String first, String second) {
        List<Warning> list = warnings.list().stream()
                .filter(w -> !errorsOnly || w.level().equals("Error"))
                .toList();
        int offset = 0;
        int limit = list.size();
        if (second != null) {
            offset = Integer.parseInt(first);
            limit = Integer.parseInt(second);
        } else if (first != null) {
            limit = Integer.parseInt(first);
        }
        List<List<String>> rows = list.stream()
                .skip(offset)
                .limit(limit)
                .map(w -> List.of(w.level(), String.valueOf(w.code()), w.message()))
                .toList();
        return new StatementResult.Rows(
                List.of(Column.varchar("Level"), Column.bigint("Code"), Column.varchar("Message")), rows);
    }

    private StatementResult showVariables(String like, String where) {
        if (where != null) {
            Matcher name = Pattern.compile("Variable_name\\s*(?:=|LIKE)\\s*('(?:[^']|'')*')", FLAGS)
                    .matcher(where.strip());
            if (!name.matches()) {
                throw new SqlError(
                        SqlError.ER_NOT_SUPPORTED_YET,
                        "42000",
                        "SHOW VARIABLES WHERE takes only Variable_name = 'name' or LIKE 'pattern' here");
            }
            like = name.group(1);
        }
        Pattern pattern = like == null ? null : SqlText.like(SqlText.unquote(like));
        List<List<String>> rows = new ArrayList<>();
        variables.all().forEach((name, value) -> {
            if (pattern == null || pattern.matcher(name).matches()) {
                rows.add(List.of(name, value));
            }
        });
        return new StatementResult.Rows(List.of(Column.varchar("Variable_name"), Column.varchar("Value")), rows);
    }

    /** {@code SHOW CONFIG} is a SELECT over CLUSTER_CONFIG with the columns renamed as TiDB shows them. */
    private StatementResult showConfig(String like, String where) {
        String condition = like != null ? "`Name` LIKE " + like : where;
        String sql = "SELECT * FROM (SELECT `TYPE` AS `Type`, `INSTANCE` AS `Instance`, `KEY` AS `Name`,"
                + " `VALUE` AS `Value` FROM `INFORMATION_SCHEMA`.`CLUSTER_CONFIG`) AS `config`"
                + (condition == null ? "" : " WHERE " + condition);
        requireCluster();
        return calcite().query(sql, database);
    }

    private StatementResult setConfig(String statement) {
        Matcher m = SET_CONFIG.matcher(statement);
        if (!m.matches() || !CONFIG_VALUE.matcher(m.group(3).strip()).matches()) {
            throw new SqlError(
                    SqlError.ER_PARSE_ERROR,
                    "42000",
                    "You have an error in your SQL syntax near '%s': write SET CONFIG <type | 'host:port'> <key> = <value>,"
                                    .formatted(SqlText.near(statement))
                            + " for example SET CONFIG mariadb max_connections = 500");
        }
        if (account.readOnly()) {
            throw new SqlError(
                    SqlError.ER_SPECIFIC_ACCESS_DENIED_ERROR,
                    "42000",
                    "Access denied; you need (at least one of) the CONFIG privilege(s) for this operation"
                            + " (user '%s' is read-only; connect as root)".formatted(account.user()));
        }
        String clusterName = requireCluster();
        String target = SqlText.unquote(m.group(1));
        String key = SqlText.unquote(m.group(2));
        String value = SqlText.unquote(m.group(3).strip());
        int changed = clusters.setConfig(clusterName, target, key, value, account.user() + "@" + clientHost, warnings);
        return new StatementResult.Ok(changed);
    }

    private StatementResult set(String assignments) {
        for (String assignment : SqlText.splitTopLevel(assignments)) {
            Matcher names = SET_NAMES.matcher(assignment);
            if (names.matches()) {
                String charset = SqlText.unquote(names.group(1));
                variables.set("character_set_client", charset);
                variables.set("character_set_connection", charset);
                variables.set("character_set_results", charset);
                if (names.group(2) != null) {
                    variables.set("collation_connection", SqlText.unquote(names.group(2)));
                }
                continue;
            }
            Matcher m = ASSIGNMENT.matcher(assignment);
            if (!m.matches()) {
                throw new SqlError(
                        SqlError.ER_PARSE_ERROR,
                        "42000",
                        "You have an error in your SQL syntax near '%s'".formatted(SqlText.near(assignment)));
            }
            String name = m.group(1);
            if (name.startsWith("@")) {
                continue;
            }
            String value = m.group(2).strip();
            // Only literals are kept: SET sql_mode=CONCAT(@@sql_mode, ...) from MariaDB Connector/J
            // changes nothing that this server honours.
            if (value.matches("(?s)'.*'|\".*\"|[\\w.\\-]+")) {
                variables.set(name, value.equalsIgnoreCase("NULL") ? "" : SqlText.unquote(value));
            }
        }
        return StatementResult.ok();
    }

    /**
     * The probes drivers send on connect ({@code SELECT @@max_allowed_packet, DATABASE()}) without
     * a FROM clause; empty when one item is not a probe, so that Calcite answers it.
     */
    private Optional<StatementResult> selectWithoutFrom(String statement) {
        Matcher m = SELECT_WITHOUT_FROM.matcher(statement);
        if (!m.matches() || statement.toUpperCase(Locale.ROOT).matches("(?s).*\\bFROM\\b.*")) {
            return Optional.empty();
        }
        List<Column> columns = new ArrayList<>();
        List<String> row = new ArrayList<>();
        for (String item : SqlText.splitTopLevel(m.group(1))) {
            Matcher parts = SELECT_ITEM.matcher(item);
            if (!parts.matches()) {
                return Optional.empty();
            }
            String expression = parts.group(1).strip();
            String alias = parts.group(2) == null ? null : SqlText.unquote(parts.group(2));
            Optional<Map.Entry<String, String>> value = probe(expression);
            if (value.isEmpty() && alias != null) {
                // "SELECT 1 x" splits as expression "1", alias "x"; "SELECT USER ()" would not.
                value = probe(item.strip());
                alias = value.isPresent() ? null : alias;
            }
            if (value.isEmpty()) {
                return Optional.empty();
            }
            String text = value.get().getValue();
            String kind = value.get().getKey();
            String name = alias != null ? alias : expression;
            columns.add(kind.equals("number") ? Column.bigint(name) : Column.varchar(name));
            row.add(text);
        }
        return Optional.of(new StatementResult.Rows(columns, List.of(row)));
    }

    /** The value of one probe expression as (kind, text), kind "number" or "string". */
    private Optional<Map.Entry<String, String>> probe(String expression) {
        Matcher variable = SYSTEM_VARIABLE.matcher(expression);
        if (variable.matches()) {
            String name = variable.group(2).toLowerCase(Locale.ROOT);
            String value = switch (name) {
                case "warning_count" -> String.valueOf(warnings.count());
                case "error_count" ->
                    String.valueOf(warnings.list().stream()
                            .filter(w -> w.level().equals("Error"))
                            .count());
                default ->
                    variables
                            .get(name)
                            .orElseThrow(() -> new SqlError(
                                    ER_UNKNOWN_SYSTEM_VARIABLE,
                                    "HY000",
                                    "Unknown system variable '%s'".formatted(name)));
            };
            return Optional.of(Map.entry(SystemVariables.isNumeric(value) ? "number" : "string", value));
        }
        if (NUMBER.matcher(expression).matches()) {
            return Optional.of(Map.entry("number", expression));
        }
        if (STRING.matcher(expression).matches()) {
            return Optional.of(Map.entry("string", SqlText.unquote(expression)));
        }
        if (expression.startsWith("@") && expression.matches("@[\\w.$]+")) {
            return Optional.of(new LinkedHashMap.SimpleEntry<>("string", null));
        }
        Matcher function = FUNCTION.matcher(expression);
        if (!function.matches()) {
            return Optional.empty();
        }
        boolean call = expression.contains("(");
        String name = function.group(1).toUpperCase(Locale.ROOT);
        String value;
        switch (name) {
            case "DATABASE", "SCHEMA" -> {
                if (!call) {
                    return Optional.empty();
                }
                return Optional.of(new LinkedHashMap.SimpleEntry<>("string", database));
            }
            case "USER", "SESSION_USER", "SYSTEM_USER" -> {
                if (!call) {
                    return Optional.empty();
                }
                value = account.user() + "@" + clientHost;
            }
            case "CURRENT_USER" -> value = account.user() + "@%";
            case "VERSION" -> {
                if (!call) {
                    return Optional.empty();
                }
                value = MysqlServer.SERVER_VERSION;
            }
            case "CONNECTION_ID" -> {
                if (!call) {
                    return Optional.empty();
                }
                return Optional.of(Map.entry("number", String.valueOf(connectionId)));
            }
            case "LAST_INSERT_ID", "ROW_COUNT", "FOUND_ROWS" -> {
                if (!call) {
                    return Optional.empty();
                }
                return Optional.of(Map.entry("number", "0"));
            }
            default -> {
                return Optional.empty();
            }
        }
        return Optional.of(Map.entry("string", value));
    }

    private CalciteQueries calcite() {
        if (calcite == null) {
            Map<String, Schema> schemas = new LinkedHashMap<>();
            // Every database is mounted by name, so that another cluster's tables can be named
            // (staging.CLUSTER_INFO); the current one is also INFORMATION_SCHEMA.
            for (String name : clusters.databases()) {
                schemas.put(name, clusters.informationSchema(name, warnings));
            }
            if (cluster != null) {
                schemas.put("INFORMATION_SCHEMA", schemas.get(cluster));
            }
            String defaultSchema = database == null
                    ? null
                    : cluster == null
                            ? null
                            : database.equalsIgnoreCase(INFORMATION_SCHEMA) ? "INFORMATION_SCHEMA" : cluster;
            calcite = new CalciteQueries(schemas, defaultSchema);
        }
        return calcite;
    }

    private String requireCluster() {
        if (cluster == null) {
            throw noDatabase();
        }
        return cluster;
    }

    private static SqlError noDatabase() {
        return new SqlError(
                SqlError.ER_NO_DB_ERROR,
                "3D000",
                "No database selected: USE a cluster first (SHOW DATABASES lists them)");
    }

    private void closeCalcite() {
        if (calcite != null) {
            calcite.close();
            calcite = null;
        }
    }

    @Override
    public void close() {
        closeCalcite();
    }
}
