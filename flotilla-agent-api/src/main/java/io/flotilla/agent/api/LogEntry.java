package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One entry of an instance's log; lines without a time of their own (a stack trace) belong to the
 * entry before them.
 *
 * @param level {@code DEBUG}, {@code INFO}, {@code WARN}, {@code ERROR} or {@code FATAL}; {@code INFO}
 *     when the line names none
 */
public record LogEntry(Instant time, String instance, String component, String level, String message) {
    public LogEntry {
        requireNonNull(time, "time is null");
        requireNonNull(instance, "instance is null");
        requireNonNull(component, "component is null");
        requireNonNull(level, "level is null");
        requireNonNull(message, "message is null");
    }
}
