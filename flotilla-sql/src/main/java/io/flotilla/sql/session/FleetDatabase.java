package io.flotilla.sql.session;

import static java.util.Objects.requireNonNull;

import io.flotilla.engine.ClusterStore;
import io.flotilla.operations.ClusterManager;
import io.flotilla.sql.ClusterSql;
import io.flotilla.sql.SqlError;
import io.flotilla.sql.Warnings;
import io.flotilla.step.OperationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.calcite.DataContext;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Linq4j;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.ScannableTable;
import org.apache.calcite.schema.Schema;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * The clusters of a {@link ClusterSql}, plus a database {@code flotilla} whose table {@code CLUSTERS}
 * lists every cluster managed from this machine (NAME, STATUS, CREATED, PATH), read afresh on each
 * scan. A cluster named {@code flotilla} would hide it.
 */
public record FleetDatabase(ClusterSql clusters, ClusterManager manager) implements ClusterSql {
    public static final String NAME = "flotilla";

    public FleetDatabase {
        requireNonNull(clusters, "clusters is null");
        requireNonNull(manager, "manager is null");
    }

    @Override
    public List<String> databases() {
        List<String> names = new ArrayList<>(clusters.databases());
        if (!names.contains(NAME)) {
            names.add(NAME);
        }
        return names;
    }

    @Override
    public Schema informationSchema(String database, Warnings warnings) {
        if (!NAME.equals(database) || clusters.databases().contains(NAME)) {
            return clusters.informationSchema(database, warnings);
        }
        Table table = new ClustersTable(manager);
        return new AbstractSchema() {
            @Override
            protected Map<String, Table> getTableMap() {
                return Map.of("CLUSTERS", table);
            }
        };
    }

    @Override
    public int setConfig(String database, String target, String key, String value, String user, Warnings warnings) {
        if (NAME.equals(database) && !clusters.databases().contains(NAME)) {
            throw new SqlError(
                    SqlError.ER_WRONG_ARGUMENTS,
                    "HY000",
                    "the flotilla database lists clusters and has no config; USE a cluster first");
        }
        return clusters.setConfig(database, target, key, value, user, warnings);
    }

    private static final class ClustersTable extends AbstractTable implements ScannableTable {
        private static final List<String> COLUMNS = List.of("NAME", "STATUS", "CREATED", "PATH");

        private final ClusterManager manager;

        ClustersTable(ClusterManager manager) {
            this.manager = manager;
        }

        @Override
        public RelDataType getRowType(RelDataTypeFactory factory) {
            RelDataTypeFactory.Builder builder = factory.builder();
            for (String column : COLUMNS) {
                builder.add(
                        column, factory.createTypeWithNullability(factory.createSqlType(SqlTypeName.VARCHAR), true));
            }
            return builder.build();
        }

        @Override
        public Enumerable<Object[]> scan(DataContext root) {
            List<Object[]> rows = new ArrayList<>();
            for (ClusterStore store : manager.list()) {
                try {
                    var meta = store.meta();
                    rows.add(new Object[] {
                        store.name(),
                        meta.status(),
                        meta.createdAt(),
                        store.dir().toString()
                    });
                } catch (OperationException damaged) {
                    // One cluster's damaged state is said on its own row, as `cluster list` does.
                    rows.add(new Object[] {
                        store.name(), "damaged", null, store.dir().toString()
                    });
                }
            }
            return Linq4j.asEnumerable(rows);
        }
    }
}
