package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * A scale-out file read against the cluster it grows, in TiUP's syntax: the new instances only,
 * in the same sections as the cluster's file, taking {@code global}, {@code monitored} and
 * {@code server_configs} from the cluster. Every problem is reported at once with its position
 * in the scale-out file: a port or directory an existing instance (or another cluster) holds, a
 * second primary, a section that is not a list of instances.
 *
 * @param merged the cluster's topology with the new instances
 * @param mergedYaml the cluster's file with the new instances appended to their sections
 * @param added the new instances, with the exporters of hosts new to the cluster
 */
public record ScaleOut(Topology merged, String mergedYaml, List<Instance> added) {
    public ScaleOut {
        requireNonNull(merged, "merged is null");
        requireNonNull(mergedYaml, "mergedYaml is null");
        added = List.copyOf(added);
    }

    /**
     * @param otherClusters the other clusters managed from this machine, by name, which must not
     *     share a port or directory with the new instances either
     * @param runningServerIds the server_id each running MariaDB instance of the cluster reports,
     *     by instance id, where its agent answered: a cluster an older Flotilla scaled in runs ids
     *     its topology no longer says (the others moved up a place)
     */
    public static ScaleOut read(
            String cluster,
            String clusterYaml,
            String clusterFile,
            String fragmentYaml,
            String fragmentFile,
            Map<String, Topology> otherClusters,
            Map<String, Long> runningServerIds) {
        Topology existing = TopologyParser.parseStored(clusterYaml, clusterFile);
        Problems problems = new Problems(fragmentFile);
        checkSections(cluster, fragmentYaml, fragmentFile, problems);
        if (problems.count() > 0) {
            throw new TopologyException(problems.sorted());
        }
        Map<String, Object> clusterMap = plain(clusterYaml);
        Map<String, Object> shared = new LinkedHashMap<>(clusterMap);
        shared.keySet().removeIf(key -> Schemas.bySection(key).isPresent());
        String text = fragmentYaml.endsWith("\n") || fragmentYaml.isEmpty() ? fragmentYaml : fragmentYaml + "\n";
        // The cluster's settings go after the file's own lines, so that positions in it stay true.
        // They were accepted with the cluster: only the file's own lines are held to every rule.
        int storedFromLine = (int) text.chars().filter(c -> c == '\n').count() + 1;
        Topology fragment = new TopologyReader(fragmentFile, true, storedFromLine)
                .read(text + (shared.isEmpty() ? "" : dump(shared)));

        Set<String> oldHosts = existing.hosts();
        List<Instance> fresh = fragment.instances().stream()
                .filter(instance -> !isExporter(instance) || !oldHosts.contains(instance.host()))
                .toList();
        if (fresh.stream().noneMatch(instance -> !isExporter(instance))) {
            problems.add(
                    problems.start(),
                    "%s lists no new instance; list them in the sections of cluster '%s''s topology, such as mariadb_servers"
                            .formatted(fragmentFile, cluster));
        }
        Instance primary = existing.instances("mariadb").stream()
                .filter(instance -> instance.field("role").orElse("").equals("primary"))
                .findFirst()
                .orElse(null);
        for (Instance instance : fresh) {
            if (instance.component().equals("mariadb")
                    && instance.field("role").orElse("").equals("primary")) {
                problems.add(
                        instance.position(),
                        "scale-out adds MariaDB replicas only: %s is 'role: primary' and cluster '%s' already has its primary%s; set 'role: replica'"
                                .formatted(instance.id(), cluster, primary == null ? "" : " " + primary.id()),
                        List.of(instance.id()));
            }
            if (instance.component().equals("mariadb") && primary == null) {
                problems.add(
                        instance.position(),
                        "cluster '%s' has no MariaDB primary to clone %s from".formatted(cluster, instance.id()),
                        List.of(instance.id()));
            }
        }
        Topology candidate = new Topology(
                fragment.source(),
                fragment.global(),
                fragment.monitored(),
                fragment.serverConfigs(),
                fragment.componentVersions(),
                fragment.componentSources(),
                fragment.autoscale(),
                fragment.ha(),
                fresh,
                List.of());
        List<Problem> all = new ArrayList<>(problems.sorted());
        all.addAll(TopologyConflicts.between(candidate, Map.of(cluster, existing)));
        all.addAll(TopologyConflicts.between(candidate, otherClusters));
        if (!all.isEmpty()) {
            throw new TopologyException(
                    all.stream().sorted(Problems.IN_FILE_ORDER).toList());
        }

        Map<String, Object> mergedMap = withExplicitRoles(clusterMap, existing, runningServerIds, null);
        Map<String, Object> fragmentMap = plain(fragmentYaml);
        Set<Long> givenIds = new HashSet<>();
        fresh.stream()
                .filter(instance -> instance.component().equals("mariadb"))
                .forEach(instance ->
                        instance.field("server_id").map(Long::parseLong).ifPresent(givenIds::add));
        long nextServerId = firstFreeServerId(existing, runningServerIds, givenIds);
        for (Map.Entry<String, Object> section : fragmentMap.entrySet()) {
            List<Object> items = new ArrayList<>(listOrEmpty(mergedMap.get(section.getKey())));
            for (Object item : listOrEmpty(section.getValue())) {
                Map<String, Object> copy = new LinkedHashMap<>(mapOrEmpty(item));
                if (section.getKey().equals("mariadb_servers")) {
                    copy.putIfAbsent("role", "replica");
                    if (!copy.containsKey("server_id")) {
                        copy.put("server_id", nextServerId);
                        nextServerId = firstFree(nextServerId + 1, givenIds);
                    }
                }
                if (section.getKey().equals("etcd_servers")
                        && !existing.instances("etcd").isEmpty()) {
                    // It joins the running members (etcdctl member add) instead of forming a cluster of its own.
                    copy.putIfAbsent("initial_cluster_state", "existing");
                }
                items.add(copy);
            }
            mergedMap.put(section.getKey(), items);
        }
        String mergedYaml = dump(mergedMap);
        Topology merged = TopologyParser.parseStored(mergedYaml, clusterFile);
        Set<String> old = new HashSet<>();
        existing.instances().forEach(instance -> old.add(instance.component() + "/" + instance.id()));
        List<Instance> added = merged.instances().stream()
                .filter(instance -> !old.contains(instance.component() + "/" + instance.id()))
                .toList();
        // The cluster's own lines may hold what a rule added since refuses; a new instance may not.
        Set<String> addedIds = new HashSet<>();
        added.forEach(instance -> addedIds.add(instance.id()));
        List<Problem> refused = merged.admissionProblems().stream()
                .filter(problem -> problem.instances().stream().anyMatch(addedIds::contains))
                .map(problem -> new Problem(
                        fresh.stream()
                                .filter(instance -> problem.instances().contains(instance.id()))
                                .map(Instance::position)
                                .findFirst()
                                .orElse(new SourcePosition(fragmentFile, 1, 1)),
                        problem.message(),
                        problem.instances()))
                .toList();
        if (!refused.isEmpty()) {
            throw new TopologyException(refused);
        }
        return new ScaleOut(merged, mergedYaml, added);
    }

    /**
     * The first server_id a new MariaDB instance may take: above every id an existing one has or
     * may run with (its place in the list, its {@code server_id}, the id it reports), and none the
     * scale-out file gives explicitly.
     */
    private static long firstFreeServerId(Topology existing, Map<String, Long> running, Set<Long> givenIds) {
        List<Instance> mariadb = existing.instances("mariadb");
        long highest = mariadb.size();
        for (Instance instance : mariadb) {
            highest = Math.max(highest, existing.serverId(instance));
            highest = Math.max(highest, running.getOrDefault(instance.id(), 0L));
        }
        return firstFree(highest + 1, givenIds);
    }

    private static long firstFree(long from, Set<Long> taken) {
        long id = from;
        while (taken.contains(id)) {
            id++;
        }
        return id;
    }

    /**
     * The cluster's file without one declared instance (the exporters of a host go with its last
     * instance, since they are derived).
     *
     * @param runningServerIds see {@link #read}: the MariaDB instances that stay keep the ids they run with
     */
    public static String without(
            String clusterYaml, String clusterFile, Instance leaving, Map<String, Long> runningServerIds) {
        Topology existing = TopologyParser.parseStored(clusterYaml, clusterFile);
        Map<String, Object> map = withExplicitRoles(plain(clusterYaml), existing, runningServerIds, leaving);
        String section = leaving.schema().section();
        int index = existing.instances(leaving.component()).indexOf(leaving);
        List<Object> items = new ArrayList<>(listOrEmpty(map.get(section)));
        if (index < 0 || index >= items.size()) {
            throw new IllegalArgumentException("%s is not declared in %s".formatted(leaving.id(), section));
        }
        items.remove(index);
        if (items.isEmpty()) {
            map.remove(section);
        } else {
            map.put(section, items);
        }
        return dump(map);
    }

    /**
     * The cluster's file with {@code primary} (a declared MariaDB instance) as the primary and every
     * other MariaDB instance a replica: what a switchover leaves. The order of the items, and so
     * each instance's server id, does not change.
     *
     * @param runningServerIds see {@link #read}: every MariaDB instance keeps the id it runs with
     */
    public static String withPrimary(
            String clusterYaml, String clusterFile, Instance primary, Map<String, Long> runningServerIds) {
        Topology existing = TopologyParser.parseStored(clusterYaml, clusterFile);
        Map<String, Object> map = withExplicitRoles(plain(clusterYaml), existing, runningServerIds, null);
        List<Instance> mariadb = existing.instances("mariadb");
        int index = mariadb.indexOf(primary);
        List<Object> items = listOrEmpty(map.get("mariadb_servers"));
        if (index < 0 || items.size() != mariadb.size()) {
            throw new IllegalArgumentException("%s is not declared in mariadb_servers".formatted(primary.id()));
        }
        List<Object> swapped = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Map<String, Object> item = new LinkedHashMap<>(mapOrEmpty(items.get(i)));
            item.put("role", i == index ? "primary" : "replica");
            swapped.add(item);
        }
        map.put("mariadb_servers", swapped);
        return dump(map);
    }

    /**
     * Every MariaDB item says its role and its server_id, so that appending or removing one never
     * moves the primary or gives a running instance's id to another. An item without a server_id
     * gets the one its instance reports running with, else the one its place gives it: an older
     * Flotilla's scale-in moved the places of those after the removed one, not their running ids.
     *
     * <p>Where such a move shows (an instance runs with another id than its place), a place is no
     * longer a safe guess: an unpinned instance that does not report its id (stopped, or its agent
     * out of reach) refuses the change, unless it is the one {@code leaving}. Two instances that
     * would end up with one id refuse it too.
     */
    private static Map<String, Object> withExplicitRoles(
            Map<String, Object> map, Topology topology, Map<String, Long> running, Instance leaving) {
        Map<String, Object> copy = new LinkedHashMap<>(map);
        List<Instance> mariadb = topology.instances("mariadb");
        List<Object> items = listOrEmpty(copy.get("mariadb_servers"));
        if (items.size() == mariadb.size() && !items.isEmpty()) {
            requireKnownIds(topology, mariadb, running, leaving);
            List<Object> withRoles = new ArrayList<>();
            Map<Long, Instance> byId = new LinkedHashMap<>();
            for (int i = 0; i < items.size(); i++) {
                Instance instance = mariadb.get(i);
                Map<String, Object> item = new LinkedHashMap<>(mapOrEmpty(items.get(i)));
                item.put("role", instance.field("role").orElse("replica"));
                item.putIfAbsent("server_id", running.getOrDefault(instance.id(), topology.serverId(instance)));
                Instance taken =
                        byId.putIfAbsent(Long.parseLong(item.get("server_id").toString()), instance);
                if (taken != null && !instance.equals(leaving) && !taken.equals(leaving)) {
                    throw new TopologyException(List.of(new Problem(
                            instance.position(),
                            "mariadb %s and %s would both have server_id %s (each runs with it, or is placed to);"
                                            .formatted(taken.id(), instance.id(), item.get("server_id"))
                                    + " give one of them another server_id and restart it before changing the cluster",
                            List.of(taken.id(), instance.id()))));
                }
                withRoles.add(item);
            }
            copy.put("mariadb_servers", withRoles);
        }
        return copy;
    }

    private static void requireKnownIds(
            Topology topology, List<Instance> mariadb, Map<String, Long> running, Instance leaving) {
        Optional<Instance> moved = mariadb.stream()
                .filter(instance -> instance.field("server_id").isEmpty())
                .filter(instance -> running.containsKey(instance.id()))
                .filter(instance -> running.get(instance.id()) != topology.serverId(instance))
                .findFirst();
        if (moved.isEmpty()) {
            return;
        }
        List<Instance> unknown = mariadb.stream()
                .filter(instance -> !instance.equals(leaving))
                .filter(instance -> instance.field("server_id").isEmpty())
                .filter(instance -> !running.containsKey(instance.id()))
                .toList();
        if (!unknown.isEmpty()) {
            Instance first = unknown.getFirst();
            throw new TopologyException(List.of(new Problem(
                    first.position(),
                    ("the server_id of mariadb %s is not known: the topology does not pin it and it does not report"
                                    + " one (not running, or its agent is out of reach), and the ids of this cluster"
                                    + " moved since it was deployed (%s runs with %d, its place gives %d); start it first"
                                    + " (`flotilla cluster start CLUSTER -N %s`)")
                            .formatted(
                                    first.id(),
                                    moved.get().id(),
                                    running.get(moved.get().id()),
                                    topology.serverId(moved.get()),
                                    first.id()),
                    unknown.stream().map(Instance::id).toList())));
        }
    }

    /** Only instance sections may appear: the rest is the cluster's. */
    private static void checkSections(String cluster, String yaml, String file, Problems problems) {
        Optional<Node> document;
        try {
            Problems nesting = new Problems(file);
            TopologyReader.nesting(yaml, settings(file), nesting);
            if (nesting.count() > 0) {
                return; // reading the file reports it, with its position
            }
            document = new Compose(settings(file)).composeString(yaml);
        } catch (YamlEngineException e) {
            return; // reading the file reports it, with its position
        }
        if (document.isEmpty() || !(document.get() instanceof MappingNode mapping)) {
            return;
        }
        for (NodeTuple tuple : mapping.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode key
                    && Schemas.bySection(key.getValue()).isEmpty()) {
                problems.add(
                        problems.at(key),
                        "'%s' cannot be set by a scale-out file: the new instances take global, monitored and server_configs from cluster '%s'; list only instance sections such as mariadb_servers (an instance's own settings go in its 'config')"
                                .formatted(key.getValue(), cluster));
            }
        }
    }

    private static boolean isExporter(Instance instance) {
        return instance.schema().equals(Schemas.NODE_EXPORTER)
                || instance.schema().equals(Schemas.BLACKBOX_EXPORTER);
    }

    private static LoadSettings settings(String file) {
        return LoadSettings.builder()
                .setLabel(file)
                .setSchema(new CoreSchema())
                .setCodePointLimit(Integer.MAX_VALUE)
                .build();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> plain(String yaml) {
        Object loaded = new Load(settings("topology")).loadFromString(yaml);
        return loaded instanceof Map<?, ?> map ? new LinkedHashMap<>((Map<String, Object>) map) : new LinkedHashMap<>();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> listOrEmpty(Object value) {
        return value instanceof List<?> list ? (List<Object>) list : List.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mapOrEmpty(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    private static String dump(Map<String, Object> map) {
        DumpSettings settings = DumpSettings.builder()
                .setDefaultFlowStyle(FlowStyle.BLOCK)
                .setSchema(new CoreSchema())
                .build();
        return new Dump(settings).dumpToString(map);
    }
}
