package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/** Ends every client session of an instance but the agent's fence and those of {@code keepUser} (replication's own). */
public record EndSessionsRequest(String keepUser) {
    public EndSessionsRequest {
        requireNonNull(keepUser, "keepUser is null");
        SqlNames.requireUser(keepUser, "keepUser");
    }
}
