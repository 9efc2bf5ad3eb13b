package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * What changing one setting of an instance did.
 *
 * @param value the value now in effect (live) or stored for the next start
 * @param live whether the running instance uses the new value already
 * @param persisted whether the value was written where the instance reads it on start
 * @param detail what the caller should know: why a restart is needed; empty otherwise
 */
public record ConfigResult(String instance, String key, String value, boolean live, boolean persisted, String detail) {
    public ConfigResult {
        requireNonNull(instance, "instance is null");
        requireNonNull(key, "key is null");
        requireNonNull(value, "value is null");
        requireNonNull(detail, "detail is null");
    }

    public boolean needsRestart() {
        return !live;
    }
}
