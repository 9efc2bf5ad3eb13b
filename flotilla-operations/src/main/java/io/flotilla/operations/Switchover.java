package io.flotilla.operations;

import static java.util.Objects.requireNonNull;

import io.flotilla.topology.Instance;

/**
 * A switchover of a cluster's MariaDB primary, as asked or as done.
 *
 * @param from the primary before it
 * @param to the replica that is the primary after it
 * @param done true when {@code to} was the primary already, so that nothing had to change
 */
public record Switchover(Instance from, Instance to, boolean done) {
    public Switchover {
        requireNonNull(from, "from is null");
        requireNonNull(to, "to is null");
    }
}
