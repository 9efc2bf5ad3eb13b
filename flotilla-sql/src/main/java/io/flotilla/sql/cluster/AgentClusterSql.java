package io.flotilla.sql.cluster;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.ConfigResult;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.InstanceContext;
import io.flotilla.engine.AuditLog;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.Operation;
import io.flotilla.operations.ClusterManager;
import io.flotilla.sql.ClusterSql;
import io.flotilla.sql.SqlError;
import io.flotilla.sql.Warnings;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.calcite.schema.Schema;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;

/**
 * The cluster tables and {@code SET CONFIG} of the clusters a {@link ClusterManager} knows, answered
 * by the clusters' agents. Every scan reads the cluster's topology afresh and asks only the agents
 * of the instances its {@code TYPE}/{@code INSTANCE} filters leave, in parallel, each bounded by the
 * per-node timeout.
 */
public final class AgentClusterSql implements ClusterSql, AutoCloseable {
    private final ClusterManager clusters;
    private final Duration nodeTimeout;
    private final Catalog catalog;
    private final AtomicLong agentCalls = new AtomicLong();
    private final AgentClients agents;

    /**
     * @param nodeTimeout how long one agent may take to answer before its instances become a warning
     */
    public AgentClusterSql(ClusterManager clusters, Duration nodeTimeout) {
        this.clusters = requireNonNull(clusters, "clusters is null");
        this.nodeTimeout = requireNonNull(nodeTimeout, "nodeTimeout is null");
        if (nodeTimeout.isNegative() || nodeTimeout.isZero()) {
            throw new IllegalArgumentException("nodeTimeout must be positive, got " + nodeTimeout);
        }
        this.catalog = Catalog.standard();
        this.agents = new AgentClients(nodeTimeout);
    }

    /** Closes the agent clients, which are kept from one statement to the next. */
    @Override
    public void close() {
        agents.close();
    }

    /** How many agent calls the scans and changes made so far; tests read it to see what pushdown saved. */
    public long agentCalls() {
        return agentCalls.get();
    }

    @Override
    public List<String> databases() {
        return clusters.list().stream().map(ClusterStore::name).toList();
    }

    @Override
    public Schema informationSchema(String database, Warnings warnings) {
        requireNonNull(warnings, "warnings is null");
        ClusterStore store = store(database)
                .orElseThrow(() -> new IllegalArgumentException("there is no cluster '%s'; the clusters are: %s"
                        .formatted(database, String.join(", ", databases()))));
        Map<String, Table> tables = ClusterTables.all(() -> nodes(store), warnings, speaksSql(store.name()));
        return new AbstractSchema() {
            @Override
            protected Map<String, Table> getTableMap() {
                return tables;
            }
        };
    }

    @Override
    public int setConfig(String database, String target, String key, String value, String user, Warnings warnings) {
        requireNonNull(target, "target is null");
        requireNonNull(key, "key is null");
        requireNonNull(value, "value is null");
        requireNonNull(user, "user is null");
        requireNonNull(warnings, "warnings is null");
        ClusterStore store = store(database)
                .orElseThrow(() -> new SqlError(
                        SqlError.ER_BAD_DB_ERROR,
                        "42000",
                        "Unknown database '%s'; the clusters are: %s"
                                .formatted(database, String.join(", ", databases()))));
        AuditLog audit = clusters.home().audit();
        int changed = 0;
        ClusterNodes nodes = nodes(store);
        List<Instance> targets = targets(nodes.topology(), store.name(), target);
        Optional<String> refusal = refusal(targets, key);
        if (refusal.isPresent()) {
            String id = Operation.newId();
            audit.begin(
                    id,
                    store.name(),
                    "SET CONFIG %s %s = '%s' by %s".formatted(target, key, value, user),
                    Instant.now().toString());
            audit.end(id, Instant.now().toString(), false, refusal.get(), null);
            throw new SqlError(SqlError.ER_SPECIFIC_ACCESS_DENIED_ERROR, "42000", refusal.get());
        }
        for (Instance instance : targets) {
            String command = "SET CONFIG %s %s = '%s' on %s by %s".formatted(target, key, value, instance.id(), user);
            String id = Operation.newId();
            audit.begin(id, store.name(), command, Instant.now().toString());
            try {
                AgentClient agent = nodes.agent(instance.host());
                agentCalls.incrementAndGet();
                ConfigResult result = agent.setConfig(instance.id(), key, value);
                changed++;
                if (result.needsRestart()) {
                    warnings.warn("%s; apply it with `flotilla cluster reload %s -N %s`"
                            .formatted(result.detail(), store.name(), instance.id()));
                } else if (!result.detail().isEmpty()) {
                    warnings.warn(result.detail());
                }
                audit.end(id, Instant.now().toString(), true, null, null);
            } catch (AgentException e) {
                String message = switch (e.code()) {
                    case UNREACHABLE, TIMEOUT ->
                        "instance %s at host %s did not answer in %d ms: %s; it is unchanged"
                                .formatted(instance.id(), instance.host(), nodeTimeout.toMillis(), e.getMessage());
                    default ->
                        "instance %s at host %s is unchanged: %s"
                                .formatted(instance.id(), instance.host(), stripAgent(e.getMessage()));
                };
                warnings.warn(message);
                audit.end(id, Instant.now().toString(), false, message, null);
            }
        }
        return changed;
    }

    /**
     * Why the catalog says a target's component does not change {@code key} while it runs; the whole
     * statement is refused then, before any instance changes.
     */
    private Optional<String> refusal(List<Instance> targets, String key) {
        return targets.stream()
                .flatMap(instance -> catalog
                        .kind(instance)
                        .settings()
                        .map(settings -> settings.refusal(key))
                        .orElseGet(() -> Optional.of(
                                ("SET CONFIG does not change %s while it runs; change it in the topology and run"
                                                + " `flotilla cluster reload`. Nothing was changed")
                                        .formatted(instance.component())))
                        .stream())
                .findFirst();
    }

    // "agent 127.0.0.1:9760: mariadb ... refused ..." reads better without the agent's address.
    private static String stripAgent(String message) {
        return message.startsWith("agent ") && message.indexOf(": ") > 0
                ? message.substring(message.indexOf(": ") + 2)
                : message;
    }

    private List<Instance> targets(Topology topology, String cluster, String target) {
        String wanted = target.toLowerCase(Locale.ROOT);
        List<Instance> byType = topology.instances().stream()
                .filter(instance -> instance.component().equals(wanted))
                .toList();
        if (!byType.isEmpty()) {
            return byType;
        }
        List<Instance> byId = topology.instances().stream()
                .filter(instance -> instance.id().equalsIgnoreCase(target))
                .toList();
        if (!byId.isEmpty()) {
            return byId;
        }
        Set<String> types = new LinkedHashSet<>();
        topology.instances().forEach(instance -> types.add(instance.component()));
        throw new SqlError(
                SqlError.ER_WRONG_ARGUMENTS,
                "HY000",
                "SET CONFIG target '%s' is neither a component type nor an instance of cluster '%s'; the types are %s and the instances %s"
                        .formatted(
                                target,
                                cluster,
                                String.join(", ", types),
                                topology.instances().stream().map(Instance::id).collect(Collectors.joining(", "))));
    }

    private Optional<ClusterStore> store(String database) {
        if (database == null) {
            return Optional.empty();
        }
        List<ClusterStore> stores = clusters.list();
        // The clients of a cluster destroyed since go, with their HTTP client and its selector thread.
        agents.retainClusters(stores.stream().map(ClusterStore::name).collect(Collectors.toSet()));
        return stores.stream().filter(store -> store.name().equals(database)).findFirst();
    }

    private ClusterNodes nodes(ClusterStore store) {
        return new ClusterNodes(
                store.name(),
                clusters.topology(store.name()),
                store.meta(),
                store.secrets().agentToken(),
                store.trustedCas(),
                nodeTimeout,
                agentCalls,
                agents);
    }

    // Whether a component speaks SQL is the catalog's to say; the paths of the context do not matter here.
    private Predicate<Instance> speaksSql(String cluster) {
        Topology topology = clusters.topology(cluster);
        return instance -> catalog.kind(instance)
                .sqlAdmin(new InstanceContext(cluster, topology, instance, Path.of("/"), "flotilla"))
                .isPresent();
    }
}
