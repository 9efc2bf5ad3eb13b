package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * Replication of one replica, from {@code SHOW SLAVE STATUS} and the GTID variables.
 *
 * @param secondsBehind {@code Seconds_Behind_Master}, or -1 when the server reports none (a thread stopped)
 * @param lastError the last IO or SQL error, empty when none
 */
public record ReplicaStatus(
        String primaryHost,
        int primaryPort,
        String ioRunning,
        String sqlRunning,
        long secondsBehind,
        String gtidIoPos,
        String gtidSlavePos,
        String gtidCurrentPos,
        String lastError) {
    public ReplicaStatus {
        requireNonNull(primaryHost, "primaryHost is null");
        requireNonNull(ioRunning, "ioRunning is null");
        requireNonNull(sqlRunning, "sqlRunning is null");
        requireNonNull(gtidIoPos, "gtidIoPos is null");
        requireNonNull(gtidSlavePos, "gtidSlavePos is null");
        requireNonNull(gtidCurrentPos, "gtidCurrentPos is null");
        requireNonNull(lastError, "lastError is null");
    }
}
