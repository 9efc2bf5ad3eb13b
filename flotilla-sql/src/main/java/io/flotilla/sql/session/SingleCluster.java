package io.flotilla.sql.session;

import static java.util.Objects.requireNonNull;

import io.flotilla.sql.ClusterSql;
import io.flotilla.sql.SqlError;
import io.flotilla.sql.Warnings;
import java.util.List;
import org.apache.calcite.schema.Schema;

/** One cluster of a {@link ClusterSql}: what an endpoint serving that cluster alone shows. */
public record SingleCluster(ClusterSql clusters, String name) implements ClusterSql {
    public SingleCluster {
        requireNonNull(clusters, "clusters is null");
        requireNonNull(name, "name is null");
        if (!clusters.databases().contains(name)) {
            throw new IllegalArgumentException("there is no cluster '%s'; the clusters are: %s"
                    .formatted(name, String.join(", ", clusters.databases())));
        }
    }

    @Override
    public List<String> databases() {
        return List.of(name);
    }

    @Override
    public Schema informationSchema(String database, Warnings warnings) {
        if (!name.equals(database)) {
            throw new IllegalArgumentException("this endpoint serves cluster '%s' only".formatted(name));
        }
        return clusters.informationSchema(database, warnings);
    }

    @Override
    public int setConfig(String database, String target, String key, String value, String user, Warnings warnings) {
        if (!name.equals(database)) {
            throw new SqlError(SqlError.ER_BAD_DB_ERROR, "42000", "Unknown database '%s'".formatted(database));
        }
        return clusters.setConfig(database, target, key, value, user, warnings);
    }
}
