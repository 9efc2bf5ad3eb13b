package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/** One row of an instance's process list. Fields the server leaves empty are empty strings. */
public record Session(
        long id, String user, String host, String db, String command, long time, String state, String info) {
    public Session {
        requireNonNull(user, "user is null");
        requireNonNull(host, "host is null");
        requireNonNull(db, "db is null");
        requireNonNull(command, "command is null");
        requireNonNull(state, "state is null");
        requireNonNull(info, "info is null");
    }
}
