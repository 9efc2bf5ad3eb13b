package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Which member of a replication group became its primary, and from where: written in etcd by the
 * holder of the group's leader key before the member takes its first write, and kept after the
 * key is gone. It tells the members who the last primary was (the one an election passes over)
 * and at which position it took over, so that a former primary rejoins only when it holds nothing
 * beyond that position: anything more is an errant transaction the new primary never had.
 *
 * @param primary the member that took the lead
 * @param previous the primary before it, empty for the group's first
 * @param position what {@code primary} had applied when it took writes ({@code gtid_current_pos})
 */
public record Takeover(String primary, String previous, String position, Instant at) {
    private static final JsonMapper JSON = AgentJson.lenient();

    public Takeover {
        requireNonNull(primary, "primary is null");
        requireNonNull(previous, "previous is null");
        requireNonNull(position, "position is null");
        requireNonNull(at, "at is null");
        GtidSet.parse(position);
    }

    public String toJson() {
        return JSON.writeValueAsString(this);
    }

    /** The record an entry holds; empty when it holds none (written by something else, or damaged). */
    public static Optional<Takeover> fromJson(String json) {
        try {
            return Optional.ofNullable(JSON.readValue(json, Takeover.class));
        } catch (JacksonException | IllegalArgumentException | NullPointerException e) {
            return Optional.empty();
        }
    }
}
