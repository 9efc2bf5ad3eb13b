package io.flotilla.catalog;

import java.util.List;

/** The names under which {@code display} and the playground show how clients reach a cluster, in the order shown. */
public final class Endpoints {
    /** Read-write SQL: the gateway, else the primary. */
    public static final String MYSQL = "mysql";
    /** Read-only SQL, spread over the replicas by the gateway. */
    public static final String MYSQL_READ = "mysql_read";

    public static final String PROMETHEUS = "prometheus";
    public static final String ALERTMANAGER = "alertmanager";
    /** Every etcd client address, comma-separated. */
    public static final String ETCD = "etcd";

    static final List<String> ORDER = List.of(MYSQL, MYSQL_READ, PROMETHEUS, ALERTMANAGER, ETCD);

    private Endpoints() {}
}
