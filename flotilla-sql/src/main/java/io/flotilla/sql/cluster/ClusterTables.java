package io.flotilla.sql.cluster;

import static io.flotilla.sql.cluster.ClusterTable.Column.bigint;
import static io.flotilla.sql.cluster.ClusterTable.Column.real;
import static io.flotilla.sql.cluster.ClusterTable.Column.string;
import static io.flotilla.sql.cluster.ClusterTable.Column.timestamp;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.HostItem;
import io.flotilla.agent.api.InstanceDetails;
import io.flotilla.agent.api.LogEntry;
import io.flotilla.agent.api.LogQuery;
import io.flotilla.agent.api.ReplicaStatus;
import io.flotilla.agent.api.Session;
import io.flotilla.agent.api.SlowQuery;
import io.flotilla.sql.SqlError;
import io.flotilla.sql.Warnings;
import io.flotilla.topology.HostPort;
import io.flotilla.topology.Instance;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.calcite.schema.Table;

/** The tables of {@code INFORMATION_SCHEMA}, named and shaped as TiDB's cluster tables. */
final class ClusterTables {
    /** Entries one agent returns for a CLUSTER_LOG scan; the merged result is cut to this too. */
    static final int MAX_LOG_ENTRIES = 10_000;

    static final String LOG_RANGE_REQUIRED =
            "CLUSTER_LOG needs a time range: add a condition on `TIME` to the WHERE clause, such as `TIME` > CURRENT_TIMESTAMP - INTERVAL '1' HOUR or `TIME` BETWEEN '2026-11-22 00:00:00' AND '2026-11-22 01:00:00'";

    private ClusterTables() {}

    static Map<String, Table> all(Supplier<ClusterNodes> nodes, Warnings warnings, Predicate<Instance> speaksSql) {
        Map<String, Table> tables = new LinkedHashMap<>();
        tables.put(
                "CLUSTER_INFO",
                new ClusterTable(
                        List.of(
                                string("TYPE"),
                                string("INSTANCE"),
                                string("STATUS_ADDRESS"),
                                string("VERSION"),
                                string("GIT_HASH"),
                                string("START_TIME"),
                                string("UPTIME"),
                                bigint("SERVER_ID")),
                        nodes,
                        warnings,
                        ClusterTables::info));
        tables.put(
                "CLUSTER_CONFIG",
                new ClusterTable(
                        List.of(string("TYPE"), string("INSTANCE"), string("KEY"), string("VALUE")),
                        nodes,
                        warnings,
                        scan -> scan.cluster()
                                .perInstance(
                                        scan.targets(),
                                        scan.warnings(),
                                        (agent, instance) -> agent.config(instance.id()).stream()
                                                .map(item -> new Object[] {
                                                    instance.component(), instance.id(), item.key(), item.value()
                                                })
                                                .toList())));
        tables.put("CLUSTER_LOAD", hostTable(nodes, warnings, "DEVICE_TYPE", "DEVICE_NAME", AgentClient::load));
        tables.put("CLUSTER_HARDWARE", hostTable(nodes, warnings, "DEVICE_TYPE", "DEVICE_NAME", AgentClient::hardware));
        tables.put(
                "CLUSTER_SYSTEMINFO",
                hostTable(nodes, warnings, "SYSTEM_TYPE", "SYSTEM_NAME", AgentClient::systemInfo));
        tables.put(
                "CLUSTER_LOG",
                new ClusterTable(
                        List.of(
                                timestamp("TIME"),
                                string("TYPE"),
                                string("INSTANCE"),
                                string("LEVEL"),
                                string("MESSAGE")),
                        nodes,
                        warnings,
                        ClusterTables::log));
        tables.put(
                "CLUSTER_SLOW_QUERY",
                new ClusterTable(
                        List.of(
                                string("INSTANCE"),
                                string("TYPE"),
                                timestamp("TIME"),
                                string("USER"),
                                string("HOST"),
                                bigint("CONN_ID"),
                                real("QUERY_TIME"),
                                real("LOCK_TIME"),
                                bigint("ROWS_SENT"),
                                bigint("ROWS_EXAMINED"),
                                string("DB"),
                                string("QUERY")),
                        nodes,
                        warnings,
                        scan -> slowQueries(scan, speaksSql)));
        tables.put(
                "CLUSTER_PROCESSLIST",
                new ClusterTable(
                        List.of(
                                string("INSTANCE"),
                                string("TYPE"),
                                bigint("ID"),
                                string("USER"),
                                string("HOST"),
                                string("DB"),
                                string("COMMAND"),
                                bigint("TIME"),
                                string("STATE"),
                                string("INFO")),
                        nodes,
                        warnings,
                        scan -> perSqlInstance(
                                scan,
                                speaksSql,
                                (agent, instance) -> agent.sessions(instance.id()).stream()
                                        .map(session -> sessionRow(instance, session))
                                        .toList())));
        tables.put(
                "CLUSTER_REPLICATION",
                new ClusterTable(
                        List.of(
                                string("INSTANCE"),
                                string("TYPE"),
                                string("PRIMARY"),
                                string("IO_THREAD"),
                                string("SQL_THREAD"),
                                bigint("SECONDS_BEHIND"),
                                string("GTID_IO_POS"),
                                string("GTID_SLAVE_POS"),
                                string("GTID_CURRENT_POS"),
                                string("LAST_ERROR")),
                        nodes,
                        warnings,
                        scan -> perSqlInstance(
                                scan,
                                speaksSql,
                                (agent, instance) -> agent.replication(instance.id()).stream()
                                        .map(status -> replicationRow(instance, status))
                                        .toList())));
        tables.put(
                "INSPECTION_RULES",
                new ClusterTable(
                        List.of(string("NAME"), string("TYPE"), string("COMMENT")),
                        nodes,
                        warnings,
                        scan -> Inspection.RULES.stream()
                                .map(rule -> new Object[] {rule.name(), "inspection", rule.comment()})
                                .toList()));
        tables.put(
                "INSPECTION_RESULT",
                new ClusterTable(
                        List.of(
                                string("RULE"),
                                string("ITEM"),
                                string("TYPE"),
                                string("INSTANCE"),
                                string("STATUS_ADDRESS"),
                                string("VALUE"),
                                string("REFERENCE"),
                                string("SEVERITY"),
                                string("DETAILS")),
                        nodes,
                        warnings,
                        scan -> new Inspection(scan, speaksSql).run()));
        return tables;
    }

    private static List<Object[]> info(ClusterTable.Scan scan) {
        Map<String, InstanceDetails> details = new LinkedHashMap<>();
        List<Map.Entry<String, InstanceDetails>> answers = scan.cluster()
                .perInstance(
                        scan.targets(),
                        scan.warnings(),
                        (agent, instance) -> List.of(Map.entry(instance.id(), agent.details(instance.id()))));
        answers.forEach(answer -> details.put(answer.getKey(), answer.getValue()));
        Instant now = Instant.now();
        List<Object[]> rows = new ArrayList<>();
        for (Instance instance : scan.targets()) {
            InstanceDetails detail = details.get(instance.id());
            if (detail == null) {
                continue;
            }
            rows.add(new Object[] {
                instance.component(),
                instance.id(),
                scan.cluster().statusAddress(instance),
                detail.version(),
                "",
                detail.startTime() == null ? null : detail.startTime().toString(),
                detail.startTime() == null ? null : uptime(Duration.between(detail.startTime(), now)),
                detail.serverId()
            });
        }
        return rows;
    }

    private static String uptime(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        return "%dh%02dm%02ds".formatted(seconds / 3600, seconds / 60 % 60, seconds % 60);
    }

    /** A table of host facts: asked once per host, shown for each target instance on it, as TiDB does. */
    private static ClusterTable hostTable(
            Supplier<ClusterNodes> nodes,
            Warnings warnings,
            String typeColumn,
            String nameColumn,
            Function<AgentClient, List<HostItem>> ask) {
        return new ClusterTable(
                List.of(
                        string("TYPE"),
                        string("INSTANCE"),
                        string(typeColumn),
                        string(nameColumn),
                        string("NAME"),
                        string("VALUE")),
                nodes,
                warnings,
                scan -> {
                    Map<String, List<HostItem>> byHost = scan.cluster()
                            .perHost(scan.targets(), scan.warnings(), (agent, onHost) -> ask.apply(agent));
                    List<Object[]> rows = new ArrayList<>();
                    for (Instance instance : scan.targets()) {
                        for (HostItem item : byHost.getOrDefault(instance.host(), List.of())) {
                            rows.add(new Object[] {
                                instance.component(),
                                instance.id(),
                                item.type(),
                                item.device(),
                                item.name(),
                                item.value()
                            });
                        }
                    }
                    return rows;
                });
    }

    private static List<Object[]> log(ClusterTable.Scan scan) {
        Filters.Range range = scan.filters().range(scan.column("TIME"));
        if (range.low().isEmpty()) {
            throw new SqlError(SqlError.ER_WRONG_ARGUMENTS, "HY000", LOG_RANGE_REQUIRED);
        }
        Instant start = Instant.ofEpochMilli(range.low().get());
        Instant end =
                range.high().map(Instant::ofEpochMilli).orElse(Instant.now().plusSeconds(60));
        if (end.isBefore(start)) {
            return List.of();
        }
        List<String> levels = scan.filters()
                .values(scan.column("LEVEL"))
                .map(values -> values.stream()
                        .map(level -> level.toUpperCase(Locale.ROOT))
                        .toList())
                .orElse(List.of());
        if (levels.isEmpty() && scan.filters().values(scan.column("LEVEL")).isPresent()) {
            return List.of();
        }
        String pattern = scan.filters().pattern(scan.column("MESSAGE")).orElse("");
        Map<String, List<LogEntry>> byHost = logsByHost(scan, start, end, levels, pattern);
        List<LogEntry> merged = new ArrayList<>();
        byHost.values().forEach(merged::addAll);
        merged.sort(Comparator.comparing(LogEntry::time));
        if (merged.size() > MAX_LOG_ENTRIES) {
            scan.warnings()
                    .warn("CLUSTER_LOG returned the first %d entries only; narrow the time range or add filters"
                            .formatted(MAX_LOG_ENTRIES));
            merged = merged.subList(0, MAX_LOG_ENTRIES);
        }
        return merged.stream()
                .map(entry -> new Object[] {
                    entry.time().toEpochMilli(), entry.component(), entry.instance(), entry.level(), entry.message()
                })
                .toList();
    }

    /** The log entries of the targets, asked of each host's agent once; at most {@link #MAX_LOG_ENTRIES} a host. */
    static Map<String, List<LogEntry>> logsByHost(
            ClusterTable.Scan scan, Instant start, Instant end, List<String> levels, String pattern) {
        return scan.cluster()
                .perHost(
                        scan.targets(),
                        scan.warnings(),
                        (agent, onHost) -> agent.logs(new LogQuery(
                                start,
                                end,
                                levels,
                                pattern,
                                onHost.stream().map(Instance::id).toList(),
                                MAX_LOG_ENTRIES)));
    }

    /** Asks each target instance that speaks SQL (the others have no sessions, replication or slow log). */
    private static List<Object[]> perSqlInstance(
            ClusterTable.Scan scan, Predicate<Instance> speaksSql, ClusterNodes.InstanceCall<Object[]> ask) {
        return scan.cluster()
                .perInstance(scan.targets().stream().filter(speaksSql).toList(), scan.warnings(), ask);
    }

    private static List<Object[]> slowQueries(ClusterTable.Scan scan, Predicate<Instance> speaksSql) {
        Filters.Range range = scan.filters().range(scan.column("TIME"));
        Instant from = Instant.ofEpochMilli(range.low().orElse(0L));
        Instant to =
                range.high().map(Instant::ofEpochMilli).orElse(Instant.now().plusSeconds(60));
        return perSqlInstance(
                scan,
                speaksSql,
                (agent, instance) -> agent.slowQueries(instance.id(), from, to, MAX_LOG_ENTRIES).stream()
                        .map(query -> slowRow(instance, query))
                        .toList());
    }

    private static Object[] slowRow(Instance instance, SlowQuery query) {
        return new Object[] {
            instance.id(),
            instance.component(),
            query.time().toEpochMilli(),
            query.user(),
            query.host(),
            query.connectionId(),
            query.queryTime(),
            query.lockTime(),
            query.rowsSent(),
            query.rowsExamined(),
            query.db(),
            query.query()
        };
    }

    private static Object[] sessionRow(Instance instance, Session session) {
        return new Object[] {
            instance.id(),
            instance.component(),
            session.id(),
            session.user(),
            session.host(),
            session.db(),
            session.command(),
            session.time(),
            session.state(),
            session.info()
        };
    }

    private static Object[] replicationRow(Instance instance, ReplicaStatus status) {
        return new Object[] {
            instance.id(),
            instance.component(),
            HostPort.of(status.primaryHost(), status.primaryPort()),
            status.ioRunning(),
            status.sqlRunning(),
            status.secondsBehind() < 0 ? null : status.secondsBehind(),
            status.gtidIoPos(),
            status.gtidSlavePos(),
            status.gtidCurrentPos(),
            status.lastError()
        };
    }
}
