package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * A search of the logs of the agent's instances.
 *
 * @param start the first instant wanted (inclusive)
 * @param end the last instant wanted (inclusive)
 * @param levels the levels wanted ({@code INFO}, {@code WARN}, {@code ERROR}, ...); empty for all
 * @param pattern a regular expression the message must contain; empty for any
 * @param instances the instance ids to search; empty for all of them
 * @param limit the most entries to return, the earliest first
 */
public record LogQuery(
        Instant start, Instant end, List<String> levels, String pattern, List<String> instances, int limit) {
    public static final int MAX_LIMIT = 100_000;

    public LogQuery {
        requireNonNull(start, "start is null");
        requireNonNull(end, "end is null");
        levels = List.copyOf(requireNonNull(levels, "levels is null"));
        requireNonNull(pattern, "pattern is null");
        instances = List.copyOf(requireNonNull(instances, "instances is null"));
        if (end.isBefore(start)) {
            throw new IllegalArgumentException("log search ends at %s, before it starts at %s".formatted(end, start));
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit %d is outside 1..%d".formatted(limit, MAX_LIMIT));
        }
    }
}
