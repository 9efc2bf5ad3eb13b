package io.flotilla.sql;

import java.util.List;
import org.apache.calcite.schema.Schema;

/**
 * What the SQL front-end (protocol, probes, {@code SHOW}, {@code SET CONFIG} parsing) asks of the
 * clusters behind it. The front-end knows nothing of agents; the implementation knows nothing of
 * the wire protocol.
 */
public interface ClusterSql {
    /** The databases a client sees besides {@code information_schema}: one per cluster, by name. */
    List<String> databases();

    /**
     * The cluster tables of one cluster, mounted by the front-end as {@code INFORMATION_SCHEMA} while
     * that cluster is the current database. Scans report unreachable nodes to {@code warnings}.
     *
     * @throws IllegalArgumentException when there is no such cluster
     */
    Schema informationSchema(String database, Warnings warnings);

    /**
     * {@code SET CONFIG target key = value}: applies the change to every instance the target names,
     * live where the component allows it, and persists it.
     *
     * @param database the cluster
     * @param target a component type ({@code mariadb}) or one instance ({@code host:port})
     * @param key the setting, as written by the client without quotes
     * @param value the value, unquoted
     * @param user who asked, for the audit log
     * @return the number of instances changed; each instance that refused, and each that needs a
     *     restart, is a warning
     * @throws SqlError when nothing matches the target or the user may not change config
     */
    int setConfig(String database, String target, String key, String value, String user, Warnings warnings);
}
