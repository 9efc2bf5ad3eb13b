package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** One entry of an instance's slow query log. */
public record SlowQuery(
        Instant time,
        String user,
        String host,
        long connectionId,
        double queryTime,
        double lockTime,
        long rowsSent,
        long rowsExamined,
        String db,
        String query) {
    public SlowQuery {
        requireNonNull(time, "time is null");
        requireNonNull(user, "user is null");
        requireNonNull(host, "host is null");
        requireNonNull(db, "db is null");
        requireNonNull(query, "query is null");
    }
}
