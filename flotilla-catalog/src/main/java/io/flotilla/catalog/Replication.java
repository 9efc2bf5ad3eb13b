package io.flotilla.catalog;

import io.flotilla.step.Step;
import io.flotilla.topology.Instance;

/**
 * A component whose instances replicate from one primary (MariaDB): which instance is the
 * primary, and how a new replica gets its first copy of the data before it starts.
 */
public interface Replication {
    /** How messages name the component ({@code MariaDB}), as in "the MariaDB primary". */
    String displayName();

    /** Whether {@code instance} takes the writes; every other instance of the component replicates from it. */
    boolean isPrimary(Instance instance);

    /** The account the replicas log in to their primary with; its sessions are replication's own. */
    String replicationUser();

    /** Fills the data dir of {@code replica} (of {@code after}) with a consistent copy of the running {@code primary}. */
    Step.Action cloneReplica(ClusterAccess after, Instance primary, Instance replica);

    /**
     * Makes a cloned replica, launched and serving, replicate from where its copy ends, once: the
     * planner then configures it as every replica ({@link ComponentKind#configure}) and waits for it.
     */
    void resumeFromClone(ClusterAccess after, Instance replica) throws Exception;
}
