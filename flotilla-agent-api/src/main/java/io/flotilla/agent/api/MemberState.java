package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * What an agent publishes in etcd about one MariaDB instance of a replication group, on its own
 * lease (so that the entry of an agent that died goes with it), for the group's election and for
 * {@code display}: whether it is healthy, may be promoted, and how far it received and applied.
 *
 * @param received the GTIDs it received from its primary ({@code Gtid_IO_Pos}), or its own
 *     {@code gtid_current_pos} when it replicates from nothing
 * @param applied what it applied or wrote ({@code gtid_current_pos})
 */
public record MemberState(
        String id, boolean healthy, boolean promotable, int priority, String received, String applied, Instant at) {
    private static final JsonMapper JSON = AgentJson.lenient();

    public MemberState {
        requireNonNull(id, "id is null");
        requireNonNull(received, "received is null");
        requireNonNull(applied, "applied is null");
        requireNonNull(at, "at is null");
        GtidSet.parse(received);
        GtidSet.parse(applied);
    }

    public String toJson() {
        return JSON.writeValueAsString(this);
    }

    /** The state an entry holds; empty when it holds none (written by something else, or damaged). */
    public static Optional<MemberState> fromJson(String json) {
        try {
            return Optional.ofNullable(JSON.readValue(json, MemberState.class));
        } catch (JacksonException | IllegalArgumentException | NullPointerException e) {
            return Optional.empty();
        }
    }
}
