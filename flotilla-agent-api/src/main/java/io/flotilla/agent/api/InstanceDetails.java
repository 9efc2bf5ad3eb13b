package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * What an instance says about itself: its version and, for SQL servers, its server id.
 *
 * @param startTime when its process started, or null when none runs
 * @param serverId the server id, or 0 when the component has none
 */
public record InstanceDetails(String version, Instant startTime, long serverId) {
    public InstanceDetails {
        requireNonNull(version, "version is null");
    }
}
