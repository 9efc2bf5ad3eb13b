package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * Where one member of a replication group stands, as its agent sees it.
 *
 * @param phase {@code PRIMARY}, {@code CANDIDATE}, {@code REPLICA}, {@code WAITING}, {@code FENCED},
 *     {@code QUARANTINED}, {@code DOWN}, ...
 * @param leader the member that holds the group's leader key, empty when none does
 * @param why what the member waits for or what it last could not do; empty when nothing
 * @param writable whether the gateway's write pool takes it
 */
public record HaMemberStatus(String group, String instance, String phase, String leader, String why, boolean writable) {
    public HaMemberStatus {
        requireNonNull(group, "group is null");
        requireNonNull(instance, "instance is null");
        requireNonNull(phase, "phase is null");
        requireNonNull(leader, "leader is null");
        requireNonNull(why, "why is null");
    }
}
