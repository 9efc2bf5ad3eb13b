package io.flotilla.topology;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.CollectionEndEvent;
import org.snakeyaml.engine.v2.events.CollectionStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads one topology file: TiUP's sections as they are plus Flotilla's own, with TiUP's defaults.
 * Every problem is collected with its position; the file is refused only at the end, with all of
 * them.
 */
final class TopologyReader {
    private static final Pattern SETTING_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,15})(ms|s|m|h)?");

    private static final List<String> COMPONENTS =
            Schemas.sections().stream().map(ComponentSchema::component).toList();
    private static final List<String> TOP_KEYS = Stream.of(
                    List.of("global", "monitored", "server_configs", "component_versions", "component_sources"),
                    Schemas.sections().stream().map(ComponentSchema::section).toList(),
                    List.of("autoscale", "ha"))
            .flatMap(List::stream)
            .toList();
    private static final Map<ComponentSchema, Set<String>> ALLOWED_KEYS =
            Schemas.sections().stream().collect(Collectors.toMap(Function.identity(), TopologyReader::allowedKeys));
    private static final List<String> OPTIONAL_STRINGS = List.of("manage_host", "numa_node", "numa_cores", "source");
    private static final List<String> OPTIONAL_FLAGS = List.of("ignore_exporter", "imported", "patched");
    /** Files and dirs on the control machine, which TiUP refuses as relative paths. */
    private static final Set<String> LOCAL_PATHS = Set.of("config_file", "rule_dir", "dashboard_dir");
    /** useradd's rule: lower case letters, digits, '_' and '-', starting with a letter or '_', an optional final '$'. */
    private static final Pattern LINUX_NAME = Pattern.compile("[a-z_][a-z0-9_-]*[$]?");

    private static final int LINUX_NAME_MAX = 32;
    private static final Set<String> MARIADB_ROLES = Set.of("primary", "replica");
    private static final String DATABASE_EXAMPLES =
            "such as pd_servers, tikv_servers and tidb_servers, or mariadb_servers";

    private final String fileName;
    private final Problems problems;
    /** A scale-out file: only new instances, so no primary and no database instance are required of it. */
    private final boolean fragment;
    /**
     * The first line of what a cluster's stored topology says: an admission problem there is kept
     * on the topology, not refused (see {@link Problems}). 1 for a stored topology, never for new
     * input, and for a scale-out file the line after its own, where the cluster's settings follow.
     */
    private final int storedFromLine;

    private Optional<String> globalListenHost = Optional.empty();

    TopologyReader(String fileName) {
        this(fileName, false, Integer.MAX_VALUE);
    }

    TopologyReader(String fileName, boolean fragment, int storedFromLine) {
        this.fileName = fileName;
        this.problems = new Problems(fileName);
        this.fragment = fragment;
        this.storedFromLine = storedFromLine;
    }

    Topology read(String yaml) {
        YamlMapping top = document(yaml);
        top.allowOnly(TOP_KEYS);

        GlobalOptions global = global(section(top, "global"));
        DirectoryLayout layout = new DirectoryLayout(global);
        YamlMapping monitoredSection = section(top, "monitored");
        MonitoredOptions monitored = monitored(monitoredSection, layout);
        Map<String, Map<String, Object>> serverConfigs = serverConfigs(section(top, "server_configs"));
        ComponentSources componentSources = new ComponentSources(problems, COMPONENTS);
        Map<String, String> versions = componentSources.versions(section(top, "component_versions"));
        Map<String, Object> sources = componentSources.sources(section(top, "component_sources"));
        Map<String, Object> autoscale =
                top.mapping("autoscale").map(map -> withoutNulls(map.plain())).orElse(Map.of());
        HaOptions ha = top.mapping("ha").map(this::ha).orElse(HaOptions.DEFAULT);

        List<Instance> instances = new ArrayList<>();
        List<String> monitoringSections = new ArrayList<>();
        int databaseItems = 0;
        for (String key : top.keys()) {
            Optional<ComponentSchema> schema = Schemas.bySection(key);
            if (schema.isEmpty()) {
                continue;
            }
            List<Node> items = top.sequence(key);
            if (!Schemas.isMonitoring(schema.get())) {
                databaseItems += items.size();
            } else if (!items.isEmpty()) {
                monitoringSections.add(key);
            }
            instances.addAll(instances(schema.get(), items, top.keyPosition(key), global, layout, serverConfigs));
        }
        if (databaseItems == 0 && !fragment) {
            String declared = monitoringSections.isEmpty()
                    ? "no instance"
                    : "only monitoring (%s)".formatted(String.join(", ", monitoringSections));
            problems.add(
                    problems.start(),
                    "no valid instance: the topology declares %s; add the instances the cluster runs, %s"
                            .formatted(declared, DATABASE_EXAMPLES));
        }
        instances.addAll(exporters(instances, monitored, monitoredSection, global));
        checkHa(top, ha, instances);
        problems.addAll(TopologyValidator.validate(instances));
        TopologyValidator.admission(instances).forEach(problems::admission);
        List<Problem> admission = new ArrayList<>();
        List<Problem> refused = new ArrayList<>();
        for (Problem problem : problems.admissionSorted()) {
            (problem.position().line() >= storedFromLine ? admission : refused).add(problem);
        }
        problems.addAll(refused);
        if (problems.count() > 0) {
            throw new TopologyException(problems.sorted());
        }
        return new Topology(
                fileName, global, monitored, serverConfigs, versions, sources, autoscale, ha, instances, admission);
    }

    /** The top-level mapping; a syntax error or a document that is not a map ends reading at once. */
    private YamlMapping document(String yaml) {
        LoadSettings settings = LoadSettings.builder()
                .setLabel(fileName)
                .setSchema(new CoreSchema())
                .setCodePointLimit(Integer.MAX_VALUE)
                .build();
        Optional<Node> document;
        try {
            nesting(yaml, settings, problems);
            if (problems.count() > 0) {
                throw new TopologyException(problems.sorted());
            }
            document = new Compose(settings).composeString(yaml);
        } catch (MarkedYamlEngineException e) {
            String context = e.getContext() == null || e.getContext().isBlank()
                    ? ""
                    : e.getContextMark()
                            .map(mark -> " (%s started at line %d)".formatted(e.getContext(), mark.getLine() + 1))
                            .orElse(" (%s)".formatted(e.getContext()));
            problems.add(
                    problems.at(e.getProblemMark().or(e::getContextMark)), "invalid YAML: " + e.getProblem() + context);
            throw new TopologyException(problems.sorted());
        } catch (YamlEngineException e) {
            problems.add(problems.start(), "invalid YAML: " + e.getMessage());
            throw new TopologyException(problems.sorted());
        }
        if (document.isEmpty()) {
            return YamlMapping.empty("the topology", problems);
        }
        controlCharacters(document.get(), Collections.newSetFromMap(new IdentityHashMap<>()));
        return YamlMapping.root(document.get(), problems).orElseThrow(() -> new TopologyException(problems.sorted()));
    }

    /** How deep collections may nest: a topology needs five or six levels. */
    static final int MAX_DEPTH = 64;

    /**
     * Refuses collections nested deeper than {@link #MAX_DEPTH}, found by the parser's events, which
     * keep no stack; composing such a file (recursively) overflowed the stack.
     */
    static void nesting(String yaml, LoadSettings settings, Problems problems) {
        int depth = 0;
        for (Event event : new Parse(settings).parseString(yaml)) {
            if (event instanceof CollectionStartEvent && ++depth > MAX_DEPTH) {
                problems.add(
                        problems.at(event.getStartMark()),
                        "collections nest deeper than %d levels here; a topology needs a few".formatted(MAX_DEPTH));
                return;
            }
            if (event instanceof CollectionEndEvent) {
                depth--;
            }
        }
    }

    /**
     * No key or value holds a control character but a tab: values end up in config files and
     * command lines, where a line break would add a line of its own. A node an alias names again is
     * walked once.
     */
    private void controlCharacters(Node node, Set<Node> walked) {
        if (!walked.add(node)) {
            return;
        }
        switch (node) {
            case ScalarNode scalar ->
                scalar.getValue()
                        .codePoints()
                        .filter(c -> Character.isISOControl(c) && c != '\t')
                        .findFirst()
                        .ifPresent(control -> problems.admission(
                                problems.at(scalar),
                                "'%s' holds a control character (U+%04X); write the value without it (a YAML block"
                                                .formatted(printable(scalar.getValue()), control)
                                        + " scalar keeps its last line break unless written '|-')"));
            case MappingNode mapping ->
                mapping.getValue().forEach(tuple -> {
                    controlCharacters(tuple.getKeyNode(), walked);
                    controlCharacters(tuple.getValueNode(), walked);
                });
            case SequenceNode sequence -> sequence.getValue().forEach(item -> controlCharacters(item, walked));
            default -> {}
        }
    }

    /** A value as a message shows it: control characters escaped, at most 60 characters. */
    private static String printable(String value) {
        StringBuilder shown = new StringBuilder();
        value.codePoints()
                .limit(60)
                .forEach(c -> shown.append(Character.isISOControl(c) ? "\\u%04x".formatted(c) : Character.toString(c)));
        return value.codePointCount(0, value.length()) > 60 ? shown + "..." : shown.toString();
    }

    private HaOptions ha(YamlMapping ha) {
        ha.allowOnly(List.of("enabled", "ttl", "durability", "cooldown", "semi_sync_timeout"));
        Optional<String> durability = ha.string("durability");
        durability
                .filter(value -> !value.equals(HaOptions.SEMI_SYNC) && !value.equals(HaOptions.ASYNC))
                .ifPresent(value -> problems.add(
                        ha.valuePosition("durability"),
                        "ha.durability '%s' is not valid; use '%s' (no promotion can lose an acknowledged write)"
                                        .formatted(value, HaOptions.SEMI_SYNC)
                                + " or '%s' (a promotion may lose what the primary had not sent)"
                                        .formatted(HaOptions.ASYNC)));
        return new HaOptions(
                ha.bool("enabled"),
                (int) duration(ha, "ttl", 2_000, 300_000)
                        .map(millis -> millis / 1000)
                        .orElse((long) HaOptions.DEFAULT_TTL_SECONDS)
                        .longValue(),
                durability,
                (int) duration(ha, "cooldown", 0, 86_400_000)
                        .map(millis -> millis / 1000)
                        .orElse((long) HaOptions.DEFAULT_COOLDOWN_SECONDS)
                        .longValue(),
                duration(ha, "semi_sync_timeout", 1, 4_294_967_295L));
    }

    /**
     * A duration: a number of seconds, or a number with {@code ms}, {@code s}, {@code m} or {@code h};
     * in milliseconds, within {@code min..max}. Reported and empty when it is neither.
     */
    private Optional<Long> duration(YamlMapping section, String key, long min, long max) {
        Optional<Object> raw = section.plain(key);
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        String text = raw.get().toString().strip();
        java.util.regex.Matcher matcher = DURATION.matcher(text);
        Long millis = null;
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            String unit = matcher.group(2) == null ? "s" : matcher.group(2);
            long scale = switch (unit) {
                case "ms" -> 1;
                case "s" -> 1000;
                case "m" -> 60_000;
                default -> 3_600_000;
            };
            millis = amount > Long.MAX_VALUE / scale ? Long.MAX_VALUE : amount * scale;
        }
        if (millis == null || millis < min || millis > max) {
            problems.add(
                    section.valuePosition(key),
                    "%s.%s '%s' is not a duration within %s..%s; write seconds (10) or a number with ms, s, m or h (10s, 5m)"
                            .formatted(section.path(), key, text, readable(min), readable(max)));
            return Optional.empty();
        }
        if (millis % 1000 != 0 && min >= 1000) {
            problems.add(
                    section.valuePosition(key), "%s.%s '%s' is not whole seconds".formatted(section.path(), key, text));
            return Optional.empty();
        }
        return Optional.of(millis);
    }

    private static String readable(long millis) {
        if (millis % 3_600_000 == 0 && millis > 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }

    /** What failover needs of the rest of the topology. */
    private void checkHa(YamlMapping top, HaOptions ha, List<Instance> instances) {
        long etcd = instances.stream()
                .filter(instance -> instance.component().equals("etcd"))
                .count();
        List<Instance> mariadb = instances.stream()
                .filter(instance -> instance.component().equals("mariadb"))
                .toList();
        if (ha.enabled().orElse(false) && !fragment) {
            if (etcd == 0) {
                problems.add(
                        top.keyPosition("ha"),
                        "ha.enabled is true but the topology has no etcd_servers, where the agents keep the leader"
                                + " lease; add etcd_servers (three, on three hosts, keep a quorum when one is lost)");
            }
            if (mariadb.size() < 2) {
                problems.add(
                        top.keyPosition("ha"),
                        "ha.enabled is true but the topology has %d MariaDB instance%s; failover needs a primary and"
                                        .formatted(mariadb.size(), mariadb.size() == 1 ? "" : "s")
                                + " at least one replica in mariadb_servers");
            }
        }
        if (ha.durability().orElse("").equals(HaOptions.SEMI_SYNC) && mariadb.size() < 2 && !fragment) {
            problems.add(
                    top.keyPosition("ha"),
                    "ha.durability is semi_sync but there is no MariaDB replica to acknowledge writes; add replicas"
                            + " or use async");
        }
        if (!mariadb.isEmpty()
                && mariadb.stream().noneMatch(HaOptions::promotable)
                && ha.enabled().orElse(false)) {
            problems.add(
                    top.keyPosition("ha"),
                    "every MariaDB has ha.no_promotion: true, so no failover could promote any; remove it from one");
        }
    }

    private YamlMapping section(YamlMapping top, String key) {
        return top.mapping(key).orElseGet(() -> YamlMapping.empty(key, problems));
    }

    private GlobalOptions global(YamlMapping global) {
        global.allowOnly(TopologyKeys.GLOBAL);
        checkResourceControlKeys(global);
        String user = global.string("user").orElse("tidb");
        global.string("user").ifPresent(name -> checkLinuxName(global, "user", name));
        String group = global.string("group").orElse(user);
        global.string("group").ifPresent(name -> checkLinuxName(global, "group", name));
        int sshPort = port(global, "ssh_port", 22, "global");
        String systemdMode = global.string("systemd_mode").orElse("system");
        if (!Set.of("system", "user").contains(systemdMode)) {
            problems.add(
                    global.valuePosition("systemd_mode"),
                    "global.systemd_mode '%s' is not valid; use 'system' or 'user'".formatted(systemdMode));
        }
        globalListenHost = global.string("listen_host");
        globalListenHost.ifPresent(value -> checkHost(global, "listen_host", value));
        return new GlobalOptions(
                user,
                group,
                sshPort,
                dir(global, "deploy_dir").orElse("deploy"),
                dir(global, "data_dir").orElse("data"),
                dir(global, "log_dir").orElse("log"),
                globalListenHost.orElse("0.0.0.0"),
                global.bool("enable_tls").orElse(false),
                global.string("arch").map(TopologyReader::arch).orElse("amd64"),
                global.string("os").map(TopologyReader::os).orElse("linux"),
                systemdMode,
                resourceControl(global),
                global.string("mirror")
                        .filter(mirror ->
                                ComponentSources.checkLocation(problems, global, "mirror", "global.mirror", mirror))
                        .orElse(ComponentSource.DEFAULT_MIRROR));
    }

    private void checkLinuxName(YamlMapping global, String key, String name) {
        if (name.length() > LINUX_NAME_MAX || !LINUX_NAME.matcher(name).matches()) {
            problems.add(
                    global.valuePosition(key),
                    ("global.%s '%s' is not a valid Linux %s name; use at most %d lower case letters, digits,"
                                    + " '_' or '-', starting with a letter or '_' (a final '$' is allowed)")
                            .formatted(key, name, key, LINUX_NAME_MAX));
        }
    }

    private MonitoredOptions monitored(YamlMapping monitored, DirectoryLayout layout) {
        monitored.allowOnly(TopologyKeys.MONITORED);
        checkResourceControlKeys(monitored);
        return layout.monitored(
                port(
                        monitored,
                        "node_exporter_port",
                        Schemas.NODE_EXPORTER.mainPort().defaultPort(),
                        "monitored"),
                port(
                        monitored,
                        "blackbox_exporter_port",
                        Schemas.BLACKBOX_EXPORTER.mainPort().defaultPort(),
                        "monitored"),
                dir(monitored, "deploy_dir"),
                dir(monitored, "data_dir"),
                dir(monitored, "log_dir"));
    }

    /** A port of {@code global} or {@code monitored}; one out of range is reported and replaced by the default. */
    private int port(YamlMapping mapping, String key, int defaultPort, String where) {
        long port = mapping.integer(key).orElse((long) defaultPort);
        if (port < 1 || port > 65535) {
            problems.add(mapping.valuePosition(key), outOfRange(key, port, where));
            return defaultPort;
        }
        return (int) port;
    }

    private static String outOfRange(String key, long port, String where) {
        return "%s %d of %s is out of range; use a port between 1 and 65535".formatted(key, port, where);
    }

    /** systemd limits; {@link #checkResourceControlKeys} reports the keys systemd would not know. */
    private Map<String, Object> resourceControl(YamlMapping owner) {
        return owner.mapping("resource_control")
                .map(limits -> {
                    Map<String, Object> values = new LinkedHashMap<>();
                    TopologyKeys.RESOURCE_CONTROL.forEach(
                            key -> limits.string(key).ifPresent(value -> values.put(key, value)));
                    return values;
                })
                .orElse(Map.of());
    }

    private void checkResourceControlKeys(YamlMapping owner) {
        owner.mapping("resource_control").ifPresent(limits -> limits.allowOnly(TopologyKeys.RESOURCE_CONTROL));
    }

    /**
     * A setting's name is written bare into the component's file: in an option file {@code =},
     * {@code #}, a space or a quote would change what the line says, so a name holds only what
     * every format takes bare (the values are quoted for their format instead).
     */
    private void refuseUnwritableKeys(YamlMapping config) {
        for (String key : config.keys()) {
            if (!SETTING_NAME.matcher(key).matches()) {
                problems.admission(
                        config.keyPosition(key),
                        "setting '%s' of %s is not a setting name: a name holds only letters, digits, '_', '-' and '.'"
                                .formatted(printable(key), config.path()));
            } else if (config.plain(key).orElse(null) instanceof Map<?, ?>) {
                config.mapping(key).ifPresent(this::refuseUnwritableKeys);
            }
        }
    }

    private Map<String, Map<String, Object>> serverConfigs(YamlMapping configs) {
        List<String> known = new ArrayList<>(COMPONENTS);
        known.add("tiflash-learner");
        configs.allowOnly(known);
        Map<String, Map<String, Object>> flattened = new LinkedHashMap<>();
        for (String component : configs.keys()) {
            if (known.contains(component)) {
                configs.mapping(component).ifPresent(config -> {
                    refuseUnwritableKeys(config);
                    flattened.put(component, Collections.unmodifiableMap(FlatConfig.of(config.plain())));
                });
            }
        }
        return flattened;
    }

    private List<Instance> instances(
            ComponentSchema schema,
            List<Node> items,
            SourcePosition sectionPosition,
            GlobalOptions global,
            DirectoryLayout layout,
            Map<String, Map<String, Object>> serverConfigs) {
        List<Instance> read = new ArrayList<>();
        for (int index = 0; index < items.size(); index++) {
            String path = "%s[%d]".formatted(schema.section(), index);
            YamlMapping.of(items.get(index), path, problems)
                    .flatMap(item -> instance(schema, item, global, layout, serverConfigs))
                    .ifPresent(read::add);
        }
        return schema.equals(Schemas.MARIADB) ? mariadbRoles(read, sectionPosition) : read;
    }

    /**
     * A directory as the topology gives it, refused (with the problem at its value) when, relative,
     * it climbs out of its folder with {@code ..}. Where an absolute one
     * leads is checked once it is resolved (see {@link SystemFolders}).
     */
    private Optional<String> dir(YamlMapping mapping, String field) {
        Optional<String> dir = mapping.string(field);
        if (dir.isEmpty()) {
            return dir;
        }
        String value = dir.get();
        if (Arrays.stream(value.split(",")).map(String::strip).anyMatch(TopologyReader::climbsOut)) {
            problems.admission(
                    mapping.valuePosition(field),
                    "%s.%s '%s' climbs out of the folder it is relative to with '..'; write the folder it means"
                            .formatted(mapping.path(), field, value));
        }
        return dir;
    }

    /** An address field names an IP address or a host name (an admission rule, see {@link Problems}). */
    private void checkHost(YamlMapping mapping, String field, String value) {
        HostNames.why(value)
                .ifPresent(why -> problems.admission(
                        mapping.valuePosition(field), "%s.%s '%s' %s".formatted(mapping.path(), field, value, why)));
    }

    /** A relative path whose {@code ..} lead above the folder it is placed in; an absolute one cannot. */
    private static boolean climbsOut(String path) {
        String clean = DirectoryLayout.clean(path);
        return !DirectoryLayout.isAbsolute(path) && (clean.equals("..") || clean.startsWith("../"));
    }

    /** One list item; empty when it is too broken to take part in the checks across instances. */
    private Optional<Instance> instance(
            ComponentSchema schema,
            YamlMapping item,
            GlobalOptions global,
            DirectoryLayout layout,
            Map<String, Map<String, Object>> serverConfigs) {
        int problemsBefore = problems.count();

        Optional<String> host = item.string("host");
        if (host.isEmpty()) {
            problems.add(item.position(), "%s has no host; add 'host: <address>' to it".formatted(item.path()));
        }
        host.ifPresent(value -> checkHost(item, "host", value));
        item.string("manage_host").ifPresent(value -> checkHost(item, "manage_host", value));
        item.string("listen_host").ifPresent(value -> checkHost(item, "listen_host", value));
        Map<String, Long> ports = new LinkedHashMap<>();
        for (PortSpec spec : schema.ports()) {
            ports.put(spec.field(), item.integer(spec.field()).orElse((long) spec.defaultPort()));
        }
        long mainPort = ports.get(schema.mainPort().field());
        boolean idKnown = host.isPresent() && problems.count() == problemsBefore;
        List<String> ids = idKnown ? List.of(id(host.get(), mainPort)) : List.of();
        String where = idKnown ? "%s (%s)".formatted(item.path(), ids.getFirst()) : item.path();
        item.concerns(ids);
        ports.forEach((field, port) -> {
            if (port < 1 || port > 65535) {
                problems.add(item.valuePosition(field), outOfRange(field, port, where), ids);
            }
        });
        long sshPort = item.integer("ssh_port").orElse((long) global.sshPort());
        if (sshPort < 1 || sshPort > 65535) {
            problems.add(item.valuePosition("ssh_port"), outOfRange("ssh_port", sshPort, where), ids);
        }
        Optional<String> ownDeployDir = dir(item, "deploy_dir");
        Optional<String> ownDataDir = schema.stateful() ? dir(item, "data_dir") : Optional.empty();
        Optional<String> ownLogDir = dir(item, "log_dir");
        Map<String, Object> ownConfig = item.mapping("config")
                .map(config -> {
                    refuseUnwritableKeys(config);
                    return FlatConfig.of(config.plain());
                })
                .orElse(Map.of());
        Map<String, Object> fields = fields(schema, item, global);
        Optional<String> listenHost = item.string("listen_host");
        boolean broken = problems.count() > problemsBefore;
        item.allowOnly(ALLOWED_KEYS.get(schema));
        checkResourceControlKeys(item);
        if (broken) {
            return Optional.empty();
        }

        String name = host.orElseThrow();
        int port = (int) mainPort;
        String deployDir = layout.deployDir(ownDeployDir, schema.dirRole(), port);
        String dataDir = schema.stateful() ? layout.dataDir(ownDataDir, deployDir, schema.dirRole(), port) : null;
        String logDir = layout.logDir(ownLogDir, deployDir, schema.dirRole(), port);
        if (schema.extraFields().contains("name")) {
            fields.putIfAbsent("name", "%s-%s-%d".formatted(schema.component(), name, port));
        }
        checkLocalPaths(schema, item, where, ids);
        if (schema.equals(Schemas.ETCD)) {
            item.string("initial_cluster_state")
                    .filter(state -> !state.equals("new") && !state.equals("existing"))
                    .ifPresent(state -> problems.add(
                            item.valuePosition("initial_cluster_state"),
                            "initial_cluster_state '%s' of %s is not valid; use 'new' (a member of the first deploy) or 'existing' (a member that joins a running cluster)"
                                    .formatted(state, where),
                            ids));
        }
        if (schema.equals(Schemas.MARIADB)) {
            item.string("role")
                    .filter(role -> !MARIADB_ROLES.contains(role))
                    .ifPresent(role -> problems.add(
                            item.valuePosition("role"),
                            "role '%s' of %s is not valid; use 'primary' or 'replica'".formatted(role, where),
                            ids));
            item.mapping("ha").ifPresent(own -> {
                own.allowOnly(List.of("priority", "no_promotion"));
                own.integer("priority")
                        .filter(priority -> priority < 0 || priority > 1000)
                        .ifPresent(priority -> problems.add(
                                own.valuePosition("priority"),
                                "ha.priority %d of %s is outside 0..1000".formatted(priority, where),
                                ids));
                own.bool("no_promotion");
            });
        }
        Map<String, Integer> intPorts = new LinkedHashMap<>();
        ports.forEach((field, value) -> intPorts.put(field, value.intValue()));
        return Optional.of(new Instance(
                schema,
                name,
                (int) sshPort,
                listenHost.orElseGet(() -> listenHost(schema, name)),
                intPorts,
                deployDir,
                dataDir,
                logDir,
                FlatConfig.overlay(serverConfigs.getOrDefault(schema.component(), Map.of()), ownConfig),
                fields,
                item.position()));
    }

    private static Set<String> allowedKeys(ComponentSchema schema) {
        Set<String> keys = new HashSet<>(TopologyKeys.COMMON);
        if (schema.stateful()) {
            keys.add("data_dir");
        }
        schema.ports().forEach(port -> keys.add(port.field()));
        keys.addAll(schema.extraFields());
        return Set.copyOf(keys);
    }

    /** The instance's fields beyond host, ports, dirs and config; see {@link Instance#fields()}. */
    private static final long MAX_SERVER_ID = 4_294_967_295L;

    private Map<String, Object> fields(ComponentSchema schema, YamlMapping item, GlobalOptions global) {
        Map<String, Object> fields = new LinkedHashMap<>();
        OPTIONAL_STRINGS.forEach(key -> item.string(key).ifPresent(value -> fields.put(key, value)));
        OPTIONAL_FLAGS.forEach(key -> item.bool(key).ifPresent(value -> fields.put(key, value)));
        Map<String, Object> limits = resourceControl(item);
        if (!limits.isEmpty()) {
            fields.put("resource_control", FlatConfig.overlay(global.resourceControl(), limits));
        }
        fields.put("arch", item.string("arch").map(TopologyReader::arch).orElse(global.arch()));
        fields.put("os", item.string("os").map(TopologyReader::os).orElse(global.os()));
        for (String key : item.keys()) {
            if (key.equals("server_id") && schema.extraFields().contains(key)) {
                item.integer(key).ifPresent(id -> {
                    if (id < 1 || id > MAX_SERVER_ID) {
                        problems.admission(
                                item.valuePosition(key),
                                "server_id %d is outside 1..%d, the ids MariaDB takes".formatted(id, MAX_SERVER_ID));
                    }
                    fields.put(key, id);
                });
            } else if (schema.extraFields().contains(key)) {
                Optional<?> value = key.equals("name")
                                || key.equals("role")
                                || key.equals("initial_cluster_state")
                                || LOCAL_PATHS.contains(key)
                        ? item.string(key)
                        : item.plain(key);
                value.ifPresent(present -> fields.put(key, present));
            }
        }
        return fields;
    }

    private void checkLocalPaths(ComponentSchema schema, YamlMapping item, String where, List<String> ids) {
        for (String key : LOCAL_PATHS) {
            if (schema.extraFields().contains(key)) {
                item.string(key)
                        .filter(path -> !DirectoryLayout.isAbsolute(path))
                        .ifPresent(path -> problems.add(
                                item.valuePosition(key),
                                "%s of %s must be an absolute path on this machine, got '%s'"
                                        .formatted(key, where, path),
                                ids));
            }
        }
    }

    /**
     * MariaDB replication needs exactly one primary. When no instance says, the first is the
     * primary and the others replicas; when some do, the unnamed ones are replicas.
     */
    private List<Instance> mariadbRoles(List<Instance> mariadbs, SourcePosition sectionPosition) {
        if (mariadbs.isEmpty()
                || mariadbs.stream()
                        .anyMatch(instance -> instance.field("role")
                                .filter(role -> !MARIADB_ROLES.contains(role))
                                .isPresent())) {
            return mariadbs;
        }
        boolean anyRole = fragment
                || mariadbs.stream().anyMatch(instance -> instance.field("role").isPresent());
        List<Instance> withRoles = new ArrayList<>();
        for (Instance instance : mariadbs) {
            String role = instance.field("role").orElse(!anyRole && withRoles.isEmpty() ? "primary" : "replica");
            Map<String, Object> fields = new LinkedHashMap<>(instance.fields());
            fields.put("role", role);
            withRoles.add(withFields(instance, fields));
        }
        List<Instance> primaries = withRoles.stream()
                .filter(instance -> instance.field("role").orElseThrow().equals("primary"))
                .toList();
        if (primaries.isEmpty() && !fragment) {
            problems.add(
                    sectionPosition,
                    "mariadb_servers has no primary; set 'role: primary' on exactly one instance",
                    withRoles.stream().map(Instance::id).toList());
        } else if (primaries.size() > 1) {
            List<String> ids = primaries.stream().map(Instance::id).toList();
            problems.add(
                    primaries.get(1).position(),
                    "mariadb_servers has %d primaries (%s); keep 'role: primary' on one and set 'role: replica' on the others"
                            .formatted(primaries.size(), String.join(", ", ids)),
                    ids);
        }
        return withRoles;
    }

    private static Instance withFields(Instance instance, Map<String, Object> fields) {
        return new Instance(
                instance.schema(),
                instance.host(),
                instance.sshPort(),
                instance.listenHost(),
                instance.ports(),
                instance.deployDir(),
                instance.dataDir(),
                instance.logDir(),
                instance.config(),
                fields,
                instance.position());
    }

    /**
     * A node_exporter and a blackbox_exporter on every host, unless every instance on the host sets
     * {@code ignore_exporter}. They take their position, SSH port and platform from the host's
     * first instance.
     */
    private List<Instance> exporters(
            List<Instance> instances, MonitoredOptions monitored, YamlMapping section, GlobalOptions global) {
        Map<String, List<Instance>> byHost = new LinkedHashMap<>();
        instances.forEach(instance -> byHost.computeIfAbsent(instance.host(), host -> new ArrayList<>())
                .add(instance));
        Map<String, Object> shared = new LinkedHashMap<>();
        section.string("numa_node").ifPresent(numaNode -> shared.put("numa_node", numaNode));
        Map<String, Object> limits = resourceControl(section);
        if (!limits.isEmpty()) {
            shared.put("resource_control", FlatConfig.overlay(global.resourceControl(), limits));
        }
        List<Instance> exporters = new ArrayList<>();
        byHost.forEach((host, onHost) -> {
            if (onHost.stream().allMatch(TopologyValidator::ignoresExporter)) {
                return;
            }
            Instance first = onHost.getFirst();
            exporters.add(exporter(
                    Schemas.NODE_EXPORTER,
                    first,
                    monitored.nodeExporterPort(),
                    section.string("node_exporter_version"),
                    monitored,
                    shared));
            exporters.add(exporter(
                    Schemas.BLACKBOX_EXPORTER,
                    first,
                    monitored.blackboxExporterPort(),
                    section.string("blackbox_exporter_version"),
                    monitored,
                    shared));
        });
        return exporters;
    }

    private Instance exporter(
            ComponentSchema schema,
            Instance first,
            int port,
            Optional<String> version,
            MonitoredOptions monitored,
            Map<String, Object> shared) {
        Map<String, Object> fields = new LinkedHashMap<>(shared);
        version.ifPresent(value -> fields.put("version", value));
        fields.put("arch", first.arch());
        fields.put("os", first.os());
        return new Instance(
                schema,
                first.host(),
                first.sshPort(),
                listenHost(schema, first.host()),
                Map.of(schema.mainPort().field(), port),
                monitored.deployDir(),
                null,
                monitored.logDir(),
                Map.of(),
                fields,
                first.position());
    }

    /**
     * {@code global.listen_host} when set; otherwise every address of the host (IPv6 ones for an
     * IPv6 host), as TiUP does, except for a component that answers anyone: that one listens on
     * the host's address when the topology names the host by one (a name may resolve, on the host
     * itself, to a loopback address its peers cannot reach).
     */
    private String listenHost(ComponentSchema schema, String host) {
        if (globalListenHost.isPresent()) {
            return globalListenHost.get();
        }
        if (schema.unauthenticated() && HostNames.address(host)) {
            return host;
        }
        return host.contains(":") ? "::" : "0.0.0.0";
    }

    private static String id(String host, long mainPort) {
        return HostPort.literal(host) + ":" + mainPort;
    }

    /** TiUP's spelling: {@code x86_64} is {@code amd64}, {@code aarch64} is {@code arm64}, all lower case. */
    private static String arch(String arch) {
        return switch (arch.toLowerCase(Locale.ROOT)) {
            case "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> arch.toLowerCase(Locale.ROOT);
        };
    }

    private static String os(String os) {
        return os.toLowerCase(Locale.ROOT);
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> map) {
        Map<String, Object> copy = new LinkedHashMap<>(map);
        copy.values().removeIf(Objects::isNull);
        return copy;
    }
}
