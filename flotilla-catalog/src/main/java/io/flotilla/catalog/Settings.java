package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which settings {@code SET CONFIG} may change on a running component, and why it refuses the others.
 * Names compare as MySQL-compatible servers compare them: without case, {@code -} and {@code _} alike.
 *
 * @param component the component's name, as the messages say it
 * @param settable the settings that may change
 * @param refused settings refused with their own reason, each a name or a prefix ending in {@code *};
 *     a name here is refused even when {@code settable} holds it
 */
public record Settings(String component, Set<String> settable, Map<String, String> refused) {
    public Settings {
        requireNonNull(component, "component is null");
        settable = Set.copyOf(settable.stream().map(Settings::normalize).toList());
        refused = Map.copyOf(refused);
    }

    /** Why {@code SET CONFIG} does not change {@code name}, with what to do instead; empty when it may. */
    public Optional<String> refusal(String name) {
        String wanted = normalize(name);
        for (Map.Entry<String, String> entry : refused.entrySet()) {
            String key = normalize(entry.getKey());
            boolean matches =
                    key.endsWith("*") ? wanted.startsWith(key.substring(0, key.length() - 1)) : wanted.equals(key);
            if (matches) {
                return Optional.of("SET CONFIG does not change %s on %s: %s. Nothing was changed"
                        .formatted(wanted, component, entry.getValue()));
            }
        }
        if (settable.contains(wanted)) {
            return Optional.empty();
        }
        return Optional.of(("SET CONFIG does not change %s on %s: it is not one of the settings Flotilla changes on a"
                        + " running cluster (the README lists them); settings beyond those come from the topology's"
                        + " server_configs, written at deploy. Nothing was changed")
                .formatted(wanted, component));
    }

    private static String normalize(String name) {
        return name.strip().replace('-', '_').toLowerCase(Locale.ROOT);
    }
}
