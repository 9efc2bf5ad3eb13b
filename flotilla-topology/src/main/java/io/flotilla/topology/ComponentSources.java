package io.flotilla.topology;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads a topology's {@code component_versions} and {@code component_sources}: where each
 * component's binaries come from, every problem added with its position.
 */
final class ComponentSources {
    private static final List<String> SOURCE_KINDS = List.of("package", "tarball", "mirror");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private final Problems problems;
    private final List<String> components;

    ComponentSources(Problems problems, List<String> components) {
        this.problems = problems;
        this.components = List.copyOf(components);
    }

    /** {@code component_versions}: a version per known component. */
    Map<String, String> versions(YamlMapping versions) {
        versions.allowOnly(components);
        Map<String, String> read = new LinkedHashMap<>();
        for (String component : versions.keys()) {
            if (components.contains(component)) {
                versions.string(component).ifPresent(version -> read.put(component, version));
            }
        }
        return read;
    }

    /** {@code component_sources}: system, mirror, a name in the mirror, or a map with package, tarball (and sha256) or mirror. */
    Map<String, Object> sources(YamlMapping sources) {
        sources.allowOnly(components);
        Map<String, Object> read = new LinkedHashMap<>();
        for (String component : sources.keys()) {
            if (!components.contains(component)) {
                continue;
            }
            Optional<Object> source = sources.plain(component);
            if (source.isPresent() && source.get() instanceof Map<?, ?>) {
                // Kept as the scalars' text: a sha256 of digits only must not become a number.
                sources.mapping(component).filter(this::checkSource).ifPresent(mapping -> {
                    Map<String, Object> fields = new LinkedHashMap<>();
                    mapping.keys().forEach(key -> mapping.string(key).ifPresent(value -> fields.put(key, value)));
                    read.put(component, fields);
                });
            } else if (source.isPresent() && source.get() instanceof String) {
                read.put(component, source.get());
            } else if (source.isPresent()) {
                problems.add(
                        sources.valuePosition(component),
                        "component_sources.%s must be system, mirror, a component name in the mirror, or a map with package, tarball (and sha256) or mirror"
                                .formatted(component));
            }
        }
        return read;
    }

    /** One of package, tarball or mirror; a tarball with its sha256; locations absolute or http(s). */
    private boolean checkSource(YamlMapping source) {
        int problemsBefore = problems.count();
        source.allowOnly(List.of("package", "tarball", "sha256", "binary", "mirror"));
        List<String> kinds =
                SOURCE_KINDS.stream().filter(source.keys()::contains).toList();
        if (kinds.size() != 1) {
            problems.add(
                    source.position(),
                    "%s needs exactly one of package, tarball or mirror, got %s"
                            .formatted(source.path(), kinds.isEmpty() ? "none" : String.join(" and ", kinds)));
        }
        source.string("package");
        source.string("mirror");
        source.string("tarball")
                .ifPresent(
                        location -> checkLocation(problems, source, "tarball", source.path() + ".tarball", location));
        Optional<String> sha256 = source.string("sha256");
        if (kinds.equals(List.of("tarball")) && sha256.isEmpty()) {
            problems.add(
                    source.keyPosition("tarball"),
                    "%s.tarball needs its sha256 beside it (sha256sum FILE prints it), so that a changed or damaged file is refused"
                            .formatted(source.path()));
        }
        sha256.filter(value -> !SHA256.matcher(value).matches())
                .ifPresent(value -> problems.add(
                        source.valuePosition("sha256"),
                        "%s.sha256 '%s' is not a sha256: expected 64 hexadecimal digits"
                                .formatted(source.path(), value)));
        source.string("binary")
                .filter(binary ->
                        binary.startsWith("/") || List.of(binary.split("/")).contains(".."))
                .ifPresent(binary -> problems.add(
                        source.valuePosition("binary"),
                        "%s.binary '%s' must be a path inside the tarball, such as bin/etcd"
                                .formatted(source.path(), binary)));
        return problems.count() == problemsBefore;
    }

    /** A local absolute path or an http(s) URL. */
    static boolean checkLocation(Problems problems, YamlMapping mapping, String key, String name, String location) {
        if (location.startsWith("/") || location.startsWith("http://") || location.startsWith("https://")) {
            return true;
        }
        problems.add(
                mapping.valuePosition(key),
                "%s '%s' must be an absolute path on this machine or an http(s) URL".formatted(name, location));
        return false;
    }
}
