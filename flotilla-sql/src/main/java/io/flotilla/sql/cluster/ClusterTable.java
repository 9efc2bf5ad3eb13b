package io.flotilla.sql.cluster;

import static java.util.Objects.requireNonNull;

import io.flotilla.sql.Warnings;
import io.flotilla.topology.Instance;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.calcite.DataContext;
import org.apache.calcite.linq4j.Enumerable;
import org.apache.calcite.linq4j.Linq4j;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.schema.ProjectableFilterableTable;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * A cluster table: its columns, and how one scan turns into agent calls. The scan narrows the
 * instances to ask by the filters on {@code TYPE} and {@code INSTANCE}; Calcite evaluates every
 * filter again on the rows, so narrowing never changes what a query returns, only whom it asks.
 */
final class ClusterTable extends AbstractTable implements ProjectableFilterableTable {
    private final List<Column> columns;
    private final Supplier<ClusterNodes> nodes;
    private final Warnings warnings;
    private final Rows rows;

    ClusterTable(List<Column> columns, Supplier<ClusterNodes> nodes, Warnings warnings, Rows rows) {
        this.columns = List.copyOf(columns);
        this.nodes = requireNonNull(nodes, "nodes is null");
        this.warnings = requireNonNull(warnings, "warnings is null");
        this.rows = requireNonNull(rows, "rows is null");
    }

    @Override
    public RelDataType getRowType(RelDataTypeFactory types) {
        RelDataTypeFactory.Builder builder = types.builder();
        for (Column column : columns) {
            RelDataType type = switch (column.type()) {
                case STRING -> types.createSqlType(SqlTypeName.VARCHAR);
                case BIGINT -> types.createSqlType(SqlTypeName.BIGINT);
                case DOUBLE -> types.createSqlType(SqlTypeName.DOUBLE);
                case TIMESTAMP -> types.createSqlType(SqlTypeName.TIMESTAMP, 3);
            };
            builder.add(column.name(), types.createTypeWithNullability(type, true));
        }
        return builder.build();
    }

    @Override
    public Enumerable<Object[]> scan(DataContext root, List<RexNode> filters, int[] projects) {
        Filters read = new Filters(filters, root);
        List<Object[]> all;
        ClusterNodes cluster = nodes.get();
        all = rows.of(new Scan(cluster, targets(cluster, read), read, warnings, this));
        if (projects == null) {
            return Linq4j.asEnumerable(all);
        }
        List<Object[]> projected = new ArrayList<>(all.size());
        for (Object[] row : all) {
            Object[] out = new Object[projects.length];
            for (int i = 0; i < projects.length; i++) {
                out[i] = row[projects[i]];
            }
            projected.add(out);
        }
        return Linq4j.asEnumerable(projected);
    }

    /** The instances the filters on TYPE and INSTANCE leave; all of them when there are none. */
    private List<Instance> targets(ClusterNodes cluster, Filters filters) {
        Optional<Set<String>> types = column("TYPE").flatMap(filters::values);
        Optional<Set<String>> instances = column("INSTANCE").flatMap(filters::values);
        return cluster.instances().stream()
                .filter(instance -> types.isEmpty() || types.get().contains(instance.component()))
                .filter(instance -> instances.isEmpty()
                        || instances.get().contains(instance.id().toLowerCase(Locale.ROOT)))
                .toList();
    }

    Optional<Integer> column(String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    enum Type {
        STRING,
        BIGINT,
        DOUBLE,
        TIMESTAMP
    }

    record Column(String name, Type type) {
        static Column string(String name) {
            return new Column(name, Type.STRING);
        }

        static Column bigint(String name) {
            return new Column(name, Type.BIGINT);
        }

        static Column real(String name) {
            return new Column(name, Type.DOUBLE);
        }

        static Column timestamp(String name) {
            return new Column(name, Type.TIMESTAMP);
        }
    }

    /** One scan: the cluster, the instances left after pushdown, the filters, where warnings go. */
    record Scan(ClusterNodes cluster, List<Instance> targets, Filters filters, Warnings warnings, ClusterTable table) {
        int column(String name) {
            return table.column(name).orElseThrow();
        }
    }

    @FunctionalInterface
    interface Rows {
        List<Object[]> of(Scan scan);
    }
}
