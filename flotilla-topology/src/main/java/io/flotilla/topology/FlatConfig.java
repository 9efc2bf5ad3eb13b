package io.flotilla.topology;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Component configuration as dotted keys. TiUP accepts {@code log.level: warn} and
 * {@code log: {level: warn}} alike; flattening both to {@code log.level} lets an instance's
 * {@code config} override {@code server_configs} key by key, however either was written.
 */
final class FlatConfig {
    private FlatConfig() {}

    static Map<String, Object> of(Map<String, Object> nested) {
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", nested, flat);
        return flat;
    }

    /** {@code base} with every key of {@code override} set over it. */
    static Map<String, Object> overlay(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> merged = new LinkedHashMap<>(base);
        merged.putAll(override);
        return merged;
    }

    private static void flatten(String prefix, Map<?, ?> nested, Map<String, Object> flat) {
        nested.forEach((key, value) -> {
            String name = prefix + key;
            if (value instanceof Map<?, ?> map) {
                flatten(name + ".", map, flat);
            } else if (value != null) {
                flat.put(name, value);
            }
        });
    }
}
