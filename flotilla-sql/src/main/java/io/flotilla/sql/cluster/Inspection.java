package io.flotilla.sql.cluster;

import io.flotilla.agent.api.ConfigItem;
import io.flotilla.agent.api.HostItem;
import io.flotilla.agent.api.InstanceDetails;
import io.flotilla.agent.api.LogEntry;
import io.flotilla.agent.api.ReplicaStatus;
import io.flotilla.topology.Instance;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * {@code INSPECTION_RESULT}: the rules of {@code INSPECTION_RULES}, run over the instances the
 * scan's filters leave, when the table is read.
 */
final class Inspection {
    static final double CPU_USAGE_LIMIT = 80;
    static final double MEMORY_USED_LIMIT = 90;
    static final long REPLICATION_LAG_LIMIT_SECONDS = 30;
    static final Duration ERROR_WINDOW = Duration.ofMinutes(10);

    record Rule(String name, String comment) {}

    static final List<Rule> RULES = List.of(
            new Rule("config", "a setting differs between instances of one type"),
            new Rule("version", "instances of one type run different versions"),
            new Rule(
                    "node-load",
                    "CPU usage over %.0f%% or memory use over %.0f%% on an instance's host"
                            .formatted(CPU_USAGE_LIMIT, MEMORY_USED_LIMIT)),
            new Rule(
                    "replication",
                    "a replica's IO or SQL thread is not running, or it lags more than %d s"
                            .formatted(REPLICATION_LAG_LIMIT_SECONDS)),
            new Rule(
                    "critical-error",
                    "ERROR or FATAL entries in an instance's logs in the last %d minutes"
                            .formatted(ERROR_WINDOW.toMinutes())));

    /**
     * Settings that differ between instances by design: addresses, paths, identities, positions and
     * the role of a replica. They name the instance rather than configure the type.
     */
    private static final Set<String> PER_INSTANCE = Set.of(
            "port",
            "server_id",
            "socket",
            "pid_file",
            "datadir",
            "tmpdir",
            "hostname",
            "report_host",
            "report_port",
            "read_only",
            "bind_address",
            "gtid_binlog_pos",
            "gtid_binlog_state",
            "gtid_current_pos",
            "gtid_slave_pos",
            "gtid_io_pos",
            "timestamp",
            "server_uid",
            "log_bin_basename",
            "log_bin_index",
            "relay_log",
            "relay_log_basename",
            "relay_log_index",
            "relay_log_info_file",
            "slow_query_log_file",
            "general_log_file",
            "log_error",
            "innodb_data_home_dir",
            "innodb_log_group_home_dir",
            "innodb_undo_directory",
            "aria_log_dir_path",
            "pseudo_thread_id",
            "last_insert_id",
            "rand_seed1",
            "rand_seed2",
            "insert_id",
            "identity",
            "warning_count",
            "error_count",
            "name",
            "data-dir",
            "listen-client-urls",
            "advertise-client-urls",
            "listen-peer-urls",
            "initial-advertise-peer-urls",
            "config.file",
            "web.listen-address",
            "storage.tsdb.path",
            "storage.path",
            "cluster.listen-address");

    private final ClusterTable.Scan scan;
    private final Predicate<Instance> speaksSql;
    private final List<Object[]> rows = new ArrayList<>();

    Inspection(ClusterTable.Scan scan, Predicate<Instance> speaksSql) {
        this.scan = scan;
        this.speaksSql = speaksSql;
    }

    List<Object[]> run() {
        config();
        version();
        load();
        replication();
        errors();
        return rows;
    }

    private void add(
            String rule,
            String item,
            Instance instance,
            String value,
            String reference,
            String severity,
            String details) {
        rows.add(new Object[] {
            rule,
            item,
            instance.component(),
            instance.id(),
            scan.cluster().statusAddress(instance),
            value,
            reference,
            severity,
            details
        });
    }

    private void config() {
        Map<String, Map<Instance, Map<String, String>>> byType = new TreeMap<>();
        List<Map.Entry<Instance, List<ConfigItem>>> answers = scan.cluster()
                .perInstance(
                        scan.targets(),
                        scan.warnings(),
                        (agent, instance) -> List.of(Map.entry(instance, agent.config(instance.id()))));
        for (Map.Entry<Instance, List<ConfigItem>> answer : answers) {
            Map<String, String> settings = new TreeMap<>();
            answer.getValue().forEach(item -> settings.put(item.key(), item.value()));
            byType.computeIfAbsent(answer.getKey().component(), ignored -> new LinkedHashMap<>())
                    .put(answer.getKey(), settings);
        }
        for (Map.Entry<String, Map<Instance, Map<String, String>>> type : byType.entrySet()) {
            Map<Instance, Map<String, String>> instances = type.getValue();
            if (instances.size() < 2) {
                continue;
            }
            Set<String> keys = new java.util.TreeSet<>();
            instances.values().forEach(settings -> keys.addAll(settings.keySet()));
            for (String key : keys) {
                if (PER_INSTANCE.contains(key.toLowerCase(java.util.Locale.ROOT))) {
                    continue;
                }
                Map<String, List<Instance>> byValue = new LinkedHashMap<>();
                instances.forEach((instance, settings) -> {
                    String value = settings.get(key);
                    if (value != null && !namesInstance(value, instance)) {
                        byValue.computeIfAbsent(value, ignored -> new ArrayList<>())
                                .add(instance);
                    }
                });
                addOutliers(
                        "config",
                        key,
                        "warning",
                        byValue,
                        (instance, value, common) ->
                                "%s is %s on %s and %s on most %s instances; set it the same everywhere with SET CONFIG %s %s = '%s'"
                                        .formatted(
                                                key,
                                                value,
                                                instance.id(),
                                                common,
                                                type.getKey(),
                                                type.getKey(),
                                                key,
                                                common));
            }
        }
    }

    // A value holding the instance's own port or directories is about that instance, not its type.
    private static boolean namesInstance(String value, Instance instance) {
        return value.contains(Integer.toString(instance.mainPort()))
                || value.contains(instance.deployDir())
                || (instance.dataDir() != null && value.contains(instance.dataDir()))
                || value.contains(instance.logDir());
    }

    private void version() {
        List<Map.Entry<Instance, InstanceDetails>> answers = scan.cluster()
                .perInstance(
                        scan.targets(),
                        scan.warnings(),
                        (agent, instance) -> List.of(Map.entry(instance, agent.details(instance.id()))));
        Map<String, Map<String, List<Instance>>> byType = new TreeMap<>();
        for (Map.Entry<Instance, InstanceDetails> answer : answers) {
            byType.computeIfAbsent(answer.getKey().component(), ignored -> new LinkedHashMap<>())
                    .computeIfAbsent(answer.getValue().version(), ignored -> new ArrayList<>())
                    .add(answer.getKey());
        }
        byType.forEach((type, versions) -> addOutliers(
                "version",
                "version",
                "critical",
                versions,
                (instance, version, common) -> "%s runs %s %s while the other %s instances run %s"
                        .formatted(instance.id(), type, version, type, common)));
    }

    /**
     * Where instances of one type hold different values, a row for each instance that holds another
     * value than most of them do.
     */
    private void addOutliers(
            String rule, String item, String severity, Map<String, List<Instance>> holders, Outlier details) {
        if (holders.size() < 2) {
            return;
        }
        String common = holders.entrySet().stream()
                .max(Map.Entry.comparingByValue(java.util.Comparator.comparingInt(List::size)))
                .orElseThrow()
                .getKey();
        holders.forEach((value, holding) -> {
            if (!value.equals(common)) {
                holding.forEach(instance ->
                        add(rule, item, instance, value, common, severity, details.of(instance, value, common)));
            }
        });
    }

    /** The details of a row for an instance whose value is not the common one. */
    @FunctionalInterface
    private interface Outlier {
        String of(Instance instance, String value, String common);
    }

    private void load() {
        Map<String, List<HostItem>> byHost =
                scan.cluster().perHost(scan.targets(), scan.warnings(), (agent, onHost) -> agent.load());
        for (Instance instance : scan.targets()) {
            for (HostItem item : byHost.getOrDefault(instance.host(), List.of())) {
                double limit;
                if (item.type().equals("cpu") && item.name().equals("usage")) {
                    limit = CPU_USAGE_LIMIT;
                } else if (item.type().equals("memory") && item.name().equals("used-percent")) {
                    limit = MEMORY_USED_LIMIT;
                } else {
                    continue;
                }
                double value = Double.parseDouble(item.value());
                if (value > limit) {
                    add(
                            "node-load",
                            item.type() + "-" + item.name(),
                            instance,
                            item.value(),
                            "< %.0f".formatted(limit),
                            "warning",
                            "%s %s is %s%% on host %s"
                                    .formatted(item.type(), item.name(), item.value(), instance.host()));
                }
            }
        }
    }

    private void replication() {
        List<Instance> sql = scan.targets().stream().filter(speaksSql).toList();
        List<Map.Entry<Instance, ReplicaStatus>> answers = scan.cluster()
                .perInstance(
                        sql,
                        scan.warnings(),
                        (agent, instance) -> agent.replication(instance.id()).stream()
                                .map(status -> Map.entry(instance, status))
                                .toList());
        for (Map.Entry<Instance, ReplicaStatus> answer : answers) {
            Instance instance = answer.getKey();
            ReplicaStatus status = answer.getValue();
            if (!status.ioRunning().equals("Yes") || !status.sqlRunning().equals("Yes")) {
                add(
                        "replication",
                        "threads",
                        instance,
                        "IO %s, SQL %s".formatted(status.ioRunning(), status.sqlRunning()),
                        "IO Yes, SQL Yes",
                        "critical",
                        "%s does not replicate from %s:%d%s"
                                .formatted(
                                        instance.id(),
                                        status.primaryHost(),
                                        status.primaryPort(),
                                        status.lastError().isEmpty() ? "" : ": " + status.lastError()));
            } else if (status.secondsBehind() > REPLICATION_LAG_LIMIT_SECONDS) {
                add(
                        "replication",
                        "lag",
                        instance,
                        Long.toString(status.secondsBehind()),
                        "<= " + REPLICATION_LAG_LIMIT_SECONDS,
                        "warning",
                        "%s is %d s behind %s:%d"
                                .formatted(
                                        instance.id(),
                                        status.secondsBehind(),
                                        status.primaryHost(),
                                        status.primaryPort()));
            }
        }
    }

    private void errors() {
        Instant end = Instant.now();
        Instant start = end.minus(ERROR_WINDOW);
        Map<String, List<LogEntry>> byHost = ClusterTables.logsByHost(scan, start, end, List.of("ERROR", "FATAL"), "");
        Map<String, List<LogEntry>> byInstance = new LinkedHashMap<>();
        byHost.values()
                .forEach(entries -> entries.forEach(entry -> byInstance
                        .computeIfAbsent(entry.instance(), ignored -> new ArrayList<>())
                        .add(entry)));
        Set<String> seen = new LinkedHashSet<>();
        for (Instance instance : scan.targets()) {
            List<LogEntry> entries = byInstance.get(instance.id());
            if (entries == null || entries.isEmpty() || !seen.add(instance.id())) {
                continue;
            }
            LogEntry last = entries.getLast();
            add(
                    "critical-error",
                    "log",
                    instance,
                    Integer.toString(entries.size()),
                    "0",
                    "critical",
                    "%d ERROR or FATAL entries in the last %d minutes; the last at %s: %s"
                            .formatted(
                                    entries.size(), ERROR_WINDOW.toMinutes(), last.time(), firstLine(last.message())));
        }
    }

    private static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
