package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/** One effective setting of an instance, as the component names it. */
public record ConfigItem(String key, String value) {
    public ConfigItem {
        requireNonNull(key, "key is null");
        requireNonNull(value, "value is null");
    }
}
