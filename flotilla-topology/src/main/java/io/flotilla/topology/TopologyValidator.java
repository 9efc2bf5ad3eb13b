package io.flotilla.topology;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The rules that look across instances: ports, directories, platforms, exporter settings and
 * names. Each rule makes one pass with hash lookups, so validation stays linear in the number of
 * instances; only the nesting check walks up each directory's parents.
 */
final class TopologyValidator {
    private TopologyValidator() {}

    static List<Problem> validate(List<Instance> instances) {
        List<Problem> problems = new ArrayList<>();
        ports(instances, problems);
        directories(instances, problems);
        nestedDirectories(instances, problems);
        platforms(instances, problems);
        exporterSettings(instances, problems);
        names(instances, problems);
        return problems;
    }

    /** The rules across instances that guard new input (see {@link Problems}). */
    static List<Problem> admission(List<Instance> instances) {
        List<Problem> problems = new ArrayList<>();
        systemFolders(instances, problems);
        pathLengths(instances, problems);
        ownDataDirs(instances, problems);
        serverIds(instances, problems);
        return problems;
    }

    /** (host, port) is unique over every port of every instance, the exporters' included. */
    private static void ports(List<Instance> instances, List<Problem> problems) {
        Map<String, PortClaim> taken = new HashMap<>();
        for (Instance instance : instances) {
            for (PortClaim claim : PortClaim.of(instance)) {
                PortClaim first = taken.putIfAbsent(claim.key(), claim);
                if (first != null) {
                    problems.add(problem(
                            first,
                            claim,
                            "port conflict for '%d' between '%s' and '%s': %s; give one of them another port"
                                    .formatted(claim.port(), first.label(), claim.label(), both(first, claim))));
                }
            }
        }
    }

    /**
     * (host, dir) is unique over deploy and data dirs, as in TiUP, and over log dirs against data
     * and log dirs. A log dir may be another instance's deploy dir no more than TiUP forbids.
     */
    private static void directories(List<Instance> instances, List<Problem> problems) {
        Map<String, List<DirClaim>> taken = new HashMap<>();
        for (Instance instance : instances) {
            for (DirClaim claim : DirClaim.of(instance)) {
                List<DirClaim> earlier = taken.computeIfAbsent(claim.key(), key -> new ArrayList<>());
                earlier.stream()
                        .filter(first -> !first.holder().equals(claim.holder()) && clash(first, claim))
                        .findFirst()
                        .ifPresent(first -> problems.add(problem(
                                first,
                                claim,
                                "directory conflict for '%s' between '%s' and '%s': %s; give each instance its own directory"
                                        .formatted(claim.dir(), first.label(), claim.label(), both(first, claim)))));
                earlier.add(claim);
            }
        }
    }

    private static boolean clash(DirClaim first, DirClaim second) {
        boolean logAndDeploy = first.kind() == DirClaim.Kind.LOG && second.kind() == DirClaim.Kind.DEPLOY
                || first.kind() == DirClaim.Kind.DEPLOY && second.kind() == DirClaim.Kind.LOG;
        return !logAndDeploy;
    }

    /**
     * On one host, no data or log dir lies inside another instance's data or log dir. Each dir
     * looks up its parents in a map, so this costs the depth of the paths, not pairs of instances.
     */
    private static void nestedDirectories(List<Instance> instances, List<Problem> problems) {
        Map<String, DirClaim> byKey = new LinkedHashMap<>();
        List<DirClaim> claims = new ArrayList<>();
        for (Instance instance : instances) {
            for (DirClaim claim : DirClaim.of(instance)) {
                if (claim.kind() != DirClaim.Kind.DEPLOY) {
                    claims.add(claim);
                    byKey.putIfAbsent(claim.key(), claim);
                }
            }
        }
        for (DirClaim inner : claims) {
            for (String parent = parent(inner.dir()); parent != null; parent = parent(parent)) {
                DirClaim outer = byKey.get(inner.instance().host() + ":" + parent);
                if (outer != null && !outer.holder().equals(inner.holder())) {
                    problems.add(problem(
                            outer,
                            inner,
                            ("directory overlap between '%s' and '%s': '%s' of %s is inside '%s' of %s;"
                                            + " no data or log directory may lie inside another instance's, move one of them")
                                    .formatted(
                                            inner.label(),
                                            outer.label(),
                                            inner.dir(),
                                            ownerAndLine(inner.instance()),
                                            outer.dir(),
                                            ownerAndLine(outer.instance()))));
                    break;
                }
            }
        }
    }

    /** No directory of an instance is a system folder, or the data of the system's own packages. */
    private static void systemFolders(List<Instance> instances, List<Problem> problems) {
        Set<String> reported = new HashSet<>();
        for (Instance instance : instances) {
            for (DirClaim claim : DirClaim.of(instance)) {
                SystemFolders.why(claim.dir())
                        .filter(why -> reported.add(claim.key() + " " + claim.kind()))
                        .ifPresent(why -> problems.add(new Problem(
                                instance.position(),
                                "%s of %s: %s; give the instance a folder of its own, such as /srv/%s-%d"
                                        .formatted(
                                                claim.label(),
                                                claim.owner(),
                                                why,
                                                instance.schema().dirRole(),
                                                instance.mainPort()),
                                List.of(instance.id()))));
            }
        }
    }

    /** Each directory, resolved (a relative one under its deploy dir), is a path Linux can name. */
    private static void pathLengths(List<Instance> instances, List<Problem> problems) {
        for (Instance instance : instances) {
            for (DirClaim claim : DirClaim.of(instance)) {
                String dir = claim.dir();
                boolean tooLong = dir.getBytes(StandardCharsets.UTF_8).length > 4095
                        || Arrays.stream(dir.split("/"))
                                .anyMatch(name -> name.getBytes(StandardCharsets.UTF_8).length > 255);
                if (tooLong) {
                    problems.add(new Problem(
                            instance.position(),
                            "%s of %s is longer than Linux allows a path (4095 bytes, 255 for each name in it): %d bytes"
                                            .formatted(
                                                    claim.label(),
                                                    claim.owner(),
                                                    dir.getBytes(StandardCharsets.UTF_8).length)
                                    + "; write a shorter one",
                            List.of(instance.id())));
                }
            }
        }
    }

    /**
     * An instance's data dir does not hold its deploy dir (its program, config and run files): a
     * bootstrap or a clone empties the data dir. A log dir inside it is TiUP's to allow.
     */
    private static void ownDataDirs(List<Instance> instances, List<Problem> problems) {
        for (Instance instance : instances) {
            for (String data : instance.dataDirs()) {
                for (DirClaim other : DirClaim.of(instance)) {
                    boolean inside = other.kind() == DirClaim.Kind.DEPLOY
                            && (other.dir().equals(data) || other.dir().startsWith(data + "/"));
                    if (inside) {
                        problems.add(new Problem(
                                instance.position(),
                                "data_dir '%s' of %s holds its %s '%s', which a bootstrap or a clone would empty;"
                                                .formatted(
                                                        data,
                                                        ownerAndLine(instance),
                                                        other.kind().field(),
                                                        other.dir())
                                        + " give the data a folder of its own",
                                List.of(instance.id())));
                    }
                }
            }
        }
    }

    private static String parent(String dir) {
        if (dir.equals("/")) {
            return null;
        }
        int slash = dir.lastIndexOf('/');
        return slash <= 0 ? "/" : dir.substring(0, slash);
    }

    /** All instances on one host agree on os and arch: it is one machine. */
    private static void platforms(List<Instance> instances, List<Problem> problems) {
        withFirstOnHost(instances, (first, instance) -> {
            if (!(first.os().equals(instance.os()) && first.arch().equals(instance.arch()))) {
                problems.add(problem(
                        first,
                        instance,
                        ("platform mismatch for '%s' between '%s:%s/%s' and '%s:%s/%s': %s;"
                                        + " set the same os and arch on every instance of a host")
                                .formatted(
                                        instance.host(),
                                        first.schema().section(),
                                        first.os(),
                                        first.arch(),
                                        instance.schema().section(),
                                        instance.os(),
                                        instance.arch(),
                                        both(first, instance))));
            }
        });
    }

    /** All instances on one host agree on ignore_exporter, as TiUP requires: the exporters serve the host. */
    private static void exporterSettings(List<Instance> instances, List<Problem> problems) {
        withFirstOnHost(instances, (first, instance) -> {
            if (ignoresExporter(first) != ignoresExporter(instance)) {
                problems.add(problem(
                        first,
                        instance,
                        ("ignore_exporter mismatch for '%s' between '%s:%s' and '%s:%s': %s;"
                                        + " set the same ignore_exporter on every instance of a host")
                                .formatted(
                                        instance.host(),
                                        first.schema().section(),
                                        ignoresExporter(first),
                                        instance.schema().section(),
                                        ignoresExporter(instance),
                                        both(first, instance))));
            }
        });
    }

    /**
     * Hands each instance after the first of its host to {@code check}, with that first one: for the
     * settings every instance of a host agrees on. The exporters take theirs from the host.
     */
    private static void withFirstOnHost(List<Instance> instances, BiConsumer<Instance, Instance> check) {
        Map<String, Instance> firstOnHost = new HashMap<>();
        for (Instance instance : instances) {
            if (Claim.isExporter(instance)) {
                continue;
            }
            Instance first = firstOnHost.putIfAbsent(instance.host(), instance);
            if (first != null) {
                check.accept(first, instance);
            }
        }
    }

    static boolean ignoresExporter(Instance instance) {
        return Boolean.TRUE.equals(instance.fields().get("ignore_exporter"));
    }

    /** Names (pd, tso, scheduling, etcd) are unique within a component: members find each other by them. */
    private static void names(List<Instance> instances, List<Problem> problems) {
        Map<String, Instance> taken = new HashMap<>();
        for (Instance instance : instances) {
            if (!instance.schema().extraFields().contains("name")) {
                continue;
            }
            String name = instance.field("name").orElseThrow();
            Instance first = taken.putIfAbsent(instance.component() + ":" + name, instance);
            if (first != null) {
                problems.add(problem(
                        first,
                        instance,
                        "name conflict for '%s' between '%s:%s.name' and '%s:%s.name': %s; give each instance its own name"
                                .formatted(
                                        name,
                                        first.schema().section(),
                                        first.host(),
                                        instance.schema().section(),
                                        instance.host(),
                                        both(first, instance))));
            }
        }
    }

    /**
     * No two instances of a replicating component share a server_id, given or taken from their
     * place: a replica with its source's id skips the source's events as its own.
     */
    private static void serverIds(List<Instance> instances, List<Problem> problems) {
        Map<String, Instance> taken = new HashMap<>();
        Map<String, Long> places = new HashMap<>();
        for (Instance instance : instances) {
            if (!instance.schema().extraFields().contains("server_id")) {
                continue;
            }
            long place = places.merge(instance.component(), 1L, Long::sum);
            long id = instance.field("server_id").map(Long::parseLong).orElse(place);
            Instance first = taken.putIfAbsent(instance.component() + ":" + id, instance);
            if (first != null) {
                problems.add(problem(
                        first,
                        instance,
                        ("server_id conflict for %d between '%s' and '%s': %s; give each its own server_id"
                                        + " (an instance without one takes its place in the list, from 1)")
                                .formatted(id, first.id(), instance.id(), both(first, instance))));
            }
        }
    }

    private static String both(Claim first, Claim second) {
        return both(first.instance(), second.instance());
    }

    private static String both(Instance first, Instance second) {
        if (first == second) {
            return "both belong to " + ownerAndLine(first);
        }
        return "%s and %s".formatted(ownerAndLine(first), ownerAndLine(second));
    }

    /** The instance and where it is declared: {@code tidb 10.0.1.1:4000 at line 12}. */
    static String ownerAndLine(Instance instance) {
        return "%s %s at line %d"
                .formatted(
                        instance.component(), instance.id(), instance.position().line());
    }

    private static Problem problem(Claim first, Claim second, String message) {
        return problem(first.instance(), second.instance(), message);
    }

    /**
     * Placed at the later instance, the one to change, unless that is an exporter: its position
     * is only borrowed from the host's first instance.
     */
    private static Problem problem(Instance first, Instance second, String message) {
        SourcePosition position =
                Claim.isExporter(second) && !Claim.isExporter(first) ? first.position() : second.position();
        List<String> ids =
                Objects.equals(first.id(), second.id()) ? List.of(first.id()) : List.of(first.id(), second.id());
        return new Problem(position, message, ids);
    }
}
