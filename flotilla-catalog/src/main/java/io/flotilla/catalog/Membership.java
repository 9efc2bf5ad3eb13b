package io.flotilla.catalog;

import io.flotilla.step.Step;
import io.flotilla.topology.Instance;

/**
 * A component whose instances form a cluster of peers that know each other (etcd, PD): a new
 * member is made known to the running ones just before it starts, one at a time, and a member
 * that leaves is taken out of the membership by one that stays.
 */
public interface Membership {
    /** Makes {@code joining} (an instance of {@code after}) known to the running members of {@code before}. */
    Step.Action join(ClusterAccess before, Instance joining);

    /** Takes {@code leaving} out of the membership, asked of a member of {@code after}, the members that stay. */
    Step.Action leave(ClusterAccess after, Instance leaving);
}
