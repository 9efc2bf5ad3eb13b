package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;

/**
 * The topology's {@code ha} section: automatic failover of the MariaDB replication group, decided
 * by the agents through a leader lease in the cluster's etcd. Each MariaDB may carry its own
 * {@code ha: {priority: N, no_promotion: true}}.
 *
 * @param enabled as written; when absent, off for now: failover will be on by default with
 *     etcd_servers once planned switchovers, stops and display go through the leader lease too
 * @param ttlSeconds the leader lease's ttl: a lost primary is replaced about this long after its
 *     last renewal
 * @param durability {@code semi_sync} or {@code async} as written; when absent, {@code semi_sync}
 *     with two replicas or more (one replica down leaves another to acknowledge), else {@code async}
 * @param cooldownSeconds a second automatic failover within this long of the last is held back
 * @param semiSyncTimeoutMillis how long a semi-sync primary waits for an acknowledgement before it
 *     goes on without one (async); absent, it never does
 */
public record HaOptions(
        Optional<Boolean> enabled,
        int ttlSeconds,
        Optional<String> durability,
        int cooldownSeconds,
        Optional<Long> semiSyncTimeoutMillis) {
    public static final String SEMI_SYNC = "semi_sync";
    public static final String ASYNC = "async";
    public static final int DEFAULT_TTL_SECONDS = 10;
    public static final int DEFAULT_COOLDOWN_SECONDS = 300;
    /** What a topology without an {@code ha} section has. */
    public static final HaOptions DEFAULT = new HaOptions(
            Optional.empty(), DEFAULT_TTL_SECONDS, Optional.empty(), DEFAULT_COOLDOWN_SECONDS, Optional.empty());

    public HaOptions {
        requireNonNull(enabled, "enabled is null");
        requireNonNull(durability, "durability is null");
        requireNonNull(semiSyncTimeoutMillis, "semiSyncTimeoutMillis is null");
    }

    /** Whether the agents fail the topology's MariaDB primary over. */
    public boolean enabled(Topology topology) {
        return enabled.orElse(false);
    }

    /** {@link #SEMI_SYNC} or {@link #ASYNC}, as written or by default. */
    public String durability(Topology topology) {
        return durability.orElseGet(() -> replicas(topology) >= 2 ? SEMI_SYNC : ASYNC);
    }

    /** The instance's say in an election: higher goes first among replicas that received as much. */
    public static int priority(Instance mariadb) {
        return own(mariadb)
                .map(ha -> ha.get("priority"))
                .filter(Long.class::isInstance)
                .map(value -> (int) (long) (Long) value)
                .orElse(0);
    }

    /** Whether the instance may be promoted ({@code ha.no_promotion} is not true). */
    public static boolean promotable(Instance mariadb) {
        return !own(mariadb)
                .map(ha -> ha.get("no_promotion"))
                .map(Boolean.TRUE::equals)
                .orElse(false);
    }

    private static Optional<Map<?, ?>> own(Instance mariadb) {
        return Optional.ofNullable(mariadb.fields().get("ha"))
                .filter(Map.class::isInstance)
                .map(value -> (Map<?, ?>) value);
    }

    private static long replicas(Topology topology) {
        return Math.max(0, topology.instances("mariadb").size() - 1);
    }
}
