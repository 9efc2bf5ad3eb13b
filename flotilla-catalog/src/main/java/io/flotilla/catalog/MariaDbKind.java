package io.flotilla.catalog;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.GtidPosition;
import io.flotilla.agent.api.HaGroupSpec;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.ReplicationSource;
import io.flotilla.agent.api.ReplicationUser;
import io.flotilla.agent.api.SqlAdmin;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.HaOptions;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import io.flotilla.topology.Topology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * MariaDB with GTID replication: one primary, replicas joined with {@code MASTER_USE_GTID} and
 * kept {@code read_only}, a dedicated replication user. The root password is set while the data
 * directory is created, so the server never runs with an empty one.
 */
public final class MariaDbKind extends PackagedKind {
    public static final String PRIMARY_TIER = "mariadb-primary";
    public static final String REPLICA_TIER = "mariadb-replica";
    public static final String REPLICATION_USER = "flotilla_repl";
    /** The replication group of a cluster's MariaDB: one per topology, which has one primary. */
    public static final String HA_GROUP = "mariadb";
    /** How long a fenced primary's read lock is held; read_only stays on after it. */
    private static final int FENCE_HOLD_SECONDS = 3600;
    /** rpl_semi_sync_master_timeout's "never": about 49 days. */
    private static final long SEMI_SYNC_FOREVER_MILLIS = 4_294_967_295L;

    private final Replication replication = new MariaDbReplication(this);
    private final KubernetesPods pods = new MariaDbPods(this);

    public MariaDbKind() {
        super(Schemas.MARIADB, "/usr/sbin/mariadbd", "mariadb-server", Duration.ofSeconds(60));
    }

    @Override
    public String tier(Instance instance) {
        return isPrimary(instance) ? PRIMARY_TIER : REPLICA_TIER;
    }

    @Override
    public Set<String> dependencies(String tier) {
        return tier.equals(REPLICA_TIER) ? Set.of(PRIMARY_TIER, "etcd") : Set.of("etcd");
    }

    public static boolean isPrimary(Instance instance) {
        return instance.field("role").orElse("primary").equals("primary");
    }

    @Override
    public List<String> commandLine(InstanceContext context) {
        return List.of(binary(), "--defaults-file=" + context.confFile("my.cnf"));
    }

    @Override
    public Map<String, String> configFiles(InstanceContext context) {
        Instance instance = context.instance();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("datadir", context.dataDir());
        settings.put("port", instance.mainPort());
        settings.put("bind-address", instance.listenHost());
        settings.put("socket", socket(context));
        settings.put("pid-file", context.deployDir().resolve("run/mariadb.pid"));
        // Instances of one host never share temporary files, not even while bootstrapping side by side.
        settings.put("tmpdir", context.deployDir().resolve("tmp"));
        // The error log goes to stderr, which the agent writes to the instance's log file.
        settings.put("slow_query_log", "ON");
        settings.put("slow_query_log_file", slowLog(context));
        settings.put("user", context.osUser());
        settings.put("server-id", serverId(context));
        settings.put("log-bin", context.dataDir().resolve("mariadb-bin"));
        settings.put("relay-log", context.dataDir().resolve("relay-bin"));
        settings.put("log-slave-updates", "ON");
        settings.put("binlog_format", "ROW");
        settings.put("gtid_strict_mode", "ON");
        settings.put("skip-name-resolve", "ON");
        settings.put("read_only", isPrimary(instance) ? "OFF" : "ON");
        if (ha(context)) {
            haSettings(context, settings);
        }
        settings.putAll(instance.config());
        StringBuilder file = new StringBuilder();
        file.append("# Written by Flotilla for ").append(instance.id()).append(". Changes are replaced on deploy.\n");
        file.append("[mariadbd]\n");
        settings.forEach((key, value) -> file.append(key)
                .append(" = ")
                .append(optionValue(instance, key, value))
                .append('\n'));
        file.append("\n[client]\n");
        file.append("socket = ")
                .append(optionValue(instance, "socket", socket(context)))
                .append('\n');
        return Map.of("conf/my.cnf", file.toString());
    }

    /**
     * Whether the agents fail this cluster's primary over: {@code ha} is on for the topology and
     * agents answer the gateway's checks (not on Kubernetes).
     */
    public static boolean ha(InstanceContext context) {
        return !context.agentCheckPorts().isEmpty() && context.topology().ha().enabled(context.topology());
    }

    /**
     * Every member starts read-only, the primary too: its agent makes it writable once it holds the
     * leader lease, so a server that restarts never takes writes beside the leader. A restart
     * drops from the binary log what was never committed (a semi-sync transaction no replica
     * acknowledged), so that a former primary can rejoin; semi-sync waits after the sync, so no
     * acknowledged write exists only on the primary. The agent turns semi-sync's primary side on
     * when it promotes (a replica with it on would wait for acknowledgements of what it applies).
     */
    private static void haSettings(InstanceContext context, Map<String, Object> settings) {
        Topology topology = context.topology();
        settings.put("read_only", "ON");
        settings.put("sync_binlog", 1);
        settings.put("innodb_flush_log_at_trx_commit", 1);
        settings.put("init_rpl_role", "SLAVE");
        if (topology.ha().durability(topology).equals(HaOptions.SEMI_SYNC)) {
            settings.put("rpl_semi_sync_slave_enabled", "ON");
            settings.put("rpl_semi_sync_master_enabled", "OFF");
            settings.put("rpl_semi_sync_master_wait_point", "AFTER_SYNC");
            settings.put(
                    "rpl_semi_sync_master_timeout",
                    topology.ha().semiSyncTimeoutMillis().orElse(SEMI_SYNC_FOREVER_MILLIS));
        }
    }

    /** The replication group's failover settings, the same for every member's agent. */
    public static HaGroupSpec haGroup(InstanceContext context) {
        Topology topology = context.topology();
        List<Instance> mariadb = topology.instances(Schemas.MARIADB.component());
        Instance primary = mariadb.stream()
                .filter(MariaDbKind::isPrimary)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the topology has no MariaDB primary"));
        return new HaGroupSpec(
                context.clusterName(),
                HA_GROUP,
                topology.instances("etcd").stream()
                        .map(EtcdMembership::endpoint)
                        .toList(),
                topology.ha().ttlSeconds(),
                topology.ha().durability(topology),
                primary.id(),
                mariadb.stream()
                        .map(member -> new HaGroupSpec.Member(
                                member.id(),
                                member.host(),
                                member.mainPort(),
                                HaOptions.priority(member),
                                HaOptions.promotable(member)))
                        .toList(),
                REPLICATION_USER,
                context.replicationPasswordFile().toString(),
                FENCE_HOLD_SECONDS,
                topology.ha().cooldownSeconds());
    }

    private static Path slowLog(InstanceContext context) {
        return context.logDir().resolve("mariadb-slow.log");
    }

    @Override
    public Optional<SqlAdmin> sqlAdmin(InstanceContext context) {
        return Optional.of(new SqlAdmin(
                "127.0.0.1",
                context.instance().mainPort(),
                "root",
                context.rootPasswordFile().toString(),
                context.confFile("my.cnf").toString(),
                "mariadbd",
                slowLog(context).toString()));
    }

    static String optionValue(Object value) {
        if (value instanceof Boolean flag) {
            return flag ? "ON" : "OFF";
        }
        return SqlAdmin.optionFileValue(value.toString());
    }

    /** A setting's value for my.cnf; one my.cnf cannot hold (a line break) is refused naming it. */
    private static String optionValue(Instance instance, String key, Object value) {
        try {
            return optionValue(value);
        } catch (IllegalArgumentException e) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "%s %s: the value of '%s' holds a line break, which my.cnf cannot hold; write it on one line in the topology"
                            .formatted(instance.component(), instance.id(), key));
        }
    }

    private static String socket(InstanceContext context) {
        return context.deployDir().resolve("run/mariadb.sock").toString();
    }

    /** See {@link io.flotilla.topology.Topology#serverId}. */
    static long serverId(InstanceContext context) {
        return context.topology().serverId(context.instance());
    }

    @Override
    public Probe readiness(InstanceContext context) {
        Instance instance = context.instance();
        Probe ping = serving(context);
        if (isPrimary(instance)) {
            return ping;
        }
        return Probe.allOf(
                ping,
                new Probe.ReplicaRunning(
                        "127.0.0.1",
                        instance.mainPort(),
                        "root",
                        context.rootPasswordFile().toString()));
    }

    @Override
    public Probe serving(InstanceContext context) {
        return new Probe.SqlPing(
                "127.0.0.1",
                context.instance().mainPort(),
                "root",
                context.rootPasswordFile().toString());
    }

    @Override
    public Optional<Bootstrap> bootstrap(InstanceContext context, ClusterSecrets secrets) {
        String hash = nativePasswordHash(secrets.rootPassword());
        String access = "{\"access\":18446744073709551615,\"plugin\":\"mysql_native_password\","
                + "\"authentication_string\":\"" + hash + "\"}";
        String sql = """
                DELETE FROM mysql.global_priv WHERE User = 'root';
                INSERT INTO mysql.global_priv VALUES ('localhost', 'root', '%1$s');
                INSERT INTO mysql.global_priv VALUES ('%%', 'root', '%1$s');
                """.formatted(access);
        String sqlFile = context.confFile("bootstrap.sql").toString();
        List<String> command = new ArrayList<>(List.of(
                "/usr/bin/mariadb-install-db",
                "--defaults-file=" + context.confFile("my.cnf"),
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--extra-file=" + sqlFile));
        return Optional.of(new Bootstrap(
                context.dataDir().toString(),
                context.dataDir().resolve(".flotilla-bootstrapped").toString(),
                command,
                Map.of(sqlFile, sql)));
    }

    /** {@code mysql_native_password}'s stored form: {@code *} and the hex of SHA1(SHA1(password)). */
    static String nativePasswordHash(String password) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] once = sha1.digest(password.getBytes(StandardCharsets.UTF_8));
            byte[] twice = sha1.digest(once);
            return "*" + HexFormat.of().withUpperCase().formatHex(twice);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JDK", e);
        }
    }

    /**
     * A primary has the replication account; a replica replicates from the primary, with GTID.
     * With HA, every member has the account of its own (outside the binary log) and its agent gets
     * the group's settings: from then on the agents decide who is primary and whom replicas follow,
     * so nothing here points a replica at the primary the topology names, which may no longer be one.
     */
    @Override
    public void configure(InstanceContext context, AgentClient agent) {
        Instance instance = context.instance();
        String passwordFile = context.replicationPasswordFile().toString();
        if (ha(context)) {
            agent.ensureReplicationUser(instance.id(), new ReplicationUser(REPLICATION_USER, passwordFile, true));
            agent.putHaGroup(haGroup(context));
            return;
        }
        if (isPrimary(instance)) {
            agent.ensureReplicationUser(instance.id(), new ReplicationUser(REPLICATION_USER, passwordFile));
            return;
        }
        Instance primary = context.topology().instances(name()).stream()
                .filter(MariaDbKind::isPrimary)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the topology has no MariaDB primary"));
        agent.setSource(
                instance.id(),
                new ReplicationSource(primary.host(), primary.mainPort(), REPLICATION_USER, passwordFile));
    }

    /**
     * The option file {@code mariadb-backup} reads on the primary's host: the primary's own
     * settings and the root login, so that the password never shows in a process list. Written
     * with mode 0600 and removed after the backup.
     */
    public String backupOptions(InstanceContext primary, ClusterSecrets secrets) {
        return configFiles(primary).get("conf/my.cnf")
                + "\n[mariadb-backup]\nuser = root\npassword = \"%s\"\n"
                        .formatted(secrets.rootPassword().replace("\\", "\\\\").replace("\"", "\\\""));
    }

    /** A hot backup of the running primary written to standard output as an mbstream. */
    public static List<String> backupCommand(String optionsFile, String scratchDir) {
        return List.of(
                "/usr/bin/mariadb-backup",
                "--defaults-file=" + optionsFile,
                "--backup",
                "--stream=mbstream",
                "--target-dir=" + scratchDir);
    }

    /** Unpacks an mbstream read from standard input into {@code dataDir}. */
    public static List<String> unpackCommand(String dataDir) {
        return List.of("/usr/bin/mbstream", "-x", "-C", dataDir);
    }

    /** Applies the redo log copied with the backup, making the data consistent at the backup's GTID position. */
    public static List<String> prepareCommand(String dataDir) {
        return List.of("/usr/bin/mariadb-backup", "--prepare", "--target-dir=" + dataDir);
    }

    /** Where the backup records the binlog position it is consistent with: older and newer names. */
    public static List<String> backupPositionFiles(String dataDir) {
        return List.of(dataDir + "/mariadb_backup_binlog_info", dataDir + "/xtrabackup_binlog_info");
    }

    /**
     * The GTID position in a backup's binlog info ({@code mariadb-bin.000003<TAB>1234<TAB>0-1-42});
     * empty when the primary had written no transaction yet.
     */
    public static String backupGtid(String binlogInfo) {
        String[] fields = binlogInfo.strip().split("\t");
        return fields.length >= 3 ? fields[2].strip() : "";
    }

    /**
     * Makes a replica cloned from a backup replicate from the backup's position on: sets
     * {@code gtid_slave_pos} once, before replication is configured, so that
     * {@code MASTER_USE_GTID = slave_pos} asks the primary only for what the backup lacks.
     */
    static void seedReplicaPosition(InstanceContext context, AgentClient agent, String gtid) {
        String id = context.instance().id();
        if (agent.replicationState(id).source() == null) {
            agent.setPosition(id, new GtidPosition(gtid));
        }
    }

    @Override
    public Optional<KubernetesPods> kubernetes() {
        return Optional.of(pods);
    }

    @Override
    public Optional<Settings> settings() {
        return Optional.of(MariaDbSettings.SETTINGS);
    }

    @Override
    public Optional<Replication> replication() {
        return Optional.of(replication);
    }

    @Override
    public Optional<String> scaleInRefusal(String cluster, Topology topology, Instance instance) {
        if (!isPrimary(instance)) {
            return Optional.empty();
        }
        List<String> replicas = topology.instances(name()).stream()
                .filter(each -> !isPrimary(each))
                .map(Instance::id)
                .toList();
        return Optional.of(
                "%s is the MariaDB primary of cluster '%s': every write goes to it. Switch it over to a replica as it leaves with --switchover-to HOST:PORT (%s), or first with `flotilla cluster switchover %s --to HOST:PORT`"
                        .formatted(
                                instance.id(),
                                cluster,
                                replicas.isEmpty()
                                        ? "the cluster has no replica: scale out one first"
                                        : "its replicas: " + String.join(", ", replicas),
                                cluster));
    }

    /** The primary, when no gateway stands in front of it. */
    @Override
    public Map<String, String> endpoints(Topology topology) {
        if (!topology.instances(Schemas.HAPROXY.component()).isEmpty()) {
            return Map.of();
        }
        return topology.instances(name()).stream()
                .filter(MariaDbKind::isPrimary)
                .findFirst()
                .map(primary -> Map.of(Endpoints.MYSQL, primary.id()))
                .orElse(Map.of());
    }
}
