package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * Where an instance's replication is to start ({@code gtid_slave_pos}): for a replica cloned from
 * a backup, the backup's position; for a former primary, the end of its own binary log. Empty
 * starts from the primary's first transaction.
 */
public record GtidPosition(String gtid) {
    public GtidPosition {
        requireNonNull(gtid, "gtid is null");
        SqlNames.requireGtid(gtid, "gtid");
    }
}
