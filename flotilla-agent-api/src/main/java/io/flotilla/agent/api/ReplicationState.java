package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * Where a replicated instance stands, as its agent reads it: whether it takes writes, what it
 * wrote and applied, whether the agent holds its fence, and what it replicates from.
 *
 * @param gtidBinlogPos the last GTID of each domain in its binary log ({@code @@gtid_binlog_pos})
 * @param gtidSlavePos the last GTID replication applied ({@code @@gtid_slave_pos})
 * @param gtidCurrentPos the last GTID it wrote or applied ({@code @@gtid_current_pos})
 * @param fenced the agent holds a global read lock on it (see {@code fence})
 * @param source its replication from a primary, or null when it replicates from nothing
 */
public record ReplicationState(
        boolean readOnly,
        String gtidBinlogPos,
        String gtidSlavePos,
        String gtidCurrentPos,
        boolean fenced,
        ReplicaStatus source) {
    public ReplicationState {
        requireNonNull(gtidBinlogPos, "gtidBinlogPos is null");
        requireNonNull(gtidSlavePos, "gtidSlavePos is null");
        requireNonNull(gtidCurrentPos, "gtidCurrentPos is null");
    }
}
