package io.flotilla.sql.session;

import io.flotilla.sql.ClusterSql;
import io.flotilla.sql.SqlError;
import io.flotilla.sql.Warnings;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * A stand-in for the cluster tables, for protocol and front-end tests only: its rows are fixed in
 * memory, not read from agents, so what it proves is how the front-end and the wire protocol carry
 * them (types, NULLs, warnings, errors), not what a cluster holds.
 */
final class TestingClusterSql implements ClusterSql {
    static final long START_TIME =
            LocalDateTime.of(2026, 11, 22, 1, 2, 3).toInstant(ZoneOffset.UTC).toEpochMilli();

    /** Every SET CONFIG this received, as "database target key=value by user". */
    final List<String> changes = new CopyOnWriteArrayList<>();

    @Override
    public List<String> databases() {
        return List.of("playground", "staging");
    }

    @Override
    public Schema informationSchema(String database, Warnings warnings) {
        if (!databases().contains(database)) {
            throw new IllegalArgumentException("no cluster " + database);
        }
        return new AbstractSchema() {
            @Override
            protected Map<String, Table> getTableMap() {
                return Map.of(
                        "CLUSTER_INFO", clusterInfo(database, warnings),
                        "CLUSTER_CONFIG", clusterConfig(),
                        "CLUSTER_LOAD", clusterLoad());
            }
        };
    }

    @Override
    public int setConfig(String database, String target, String key, String value, String user, Warnings warnings) {
        if (!target.equals("mariadb") && !target.equals("127.0.0.1:3306")) {
            throw new SqlError(
                    SqlError.ER_WRONG_ARGUMENTS,
                    "HY000",
                    "no instance of cluster '%s' matches '%s'".formatted(database, target));
        }
        changes.add("%s %s %s=%s by %s".formatted(database, target, key, value, user));
        if (target.equals("mariadb")) {
            warnings.warn("mariadb 127.0.0.1:3308 did not answer: connection refused");
            return 2;
        }
        return 1;
    }

    private static Table clusterInfo(String database, Warnings warnings) {
        return new InMemoryTable(
                List.of("TYPE", "INSTANCE", "STATUS_ADDRESS", "VERSION", "START_TIME", "SERVER_ID"),
                List.of(
                        SqlTypeName.VARCHAR,
                        SqlTypeName.VARCHAR,
                        SqlTypeName.VARCHAR,
                        SqlTypeName.VARCHAR,
                        SqlTypeName.TIMESTAMP,
                        SqlTypeName.BIGINT),
                List.of(
                        new Object[] {"mariadb", "127.0.0.1:3306", "127.0.0.1:9104", "10.11.19", START_TIME, 1L},
                        new Object[] {"mariadb", "127.0.0.1:3307", null, "10.11.19", START_TIME, 2L},
                        new Object[] {
                            "haproxy",
                            "127.0.0.1:" + (database.equals("playground") ? "4000" : "5000"),
                            null,
                            "2.8",
                            null,
                            null
                        }),
                () -> warnings.warn("mariadb 127.0.0.1:3308 did not answer: connection refused"));
    }

    private static Table clusterConfig() {
        return new InMemoryTable(
                List.of("TYPE", "INSTANCE", "KEY", "VALUE"),
                List.of(SqlTypeName.VARCHAR, SqlTypeName.VARCHAR, SqlTypeName.VARCHAR, SqlTypeName.VARCHAR),
                List.of(
                        new Object[] {"mariadb", "127.0.0.1:3306", "max_connections", "151"},
                        new Object[] {"mariadb", "127.0.0.1:3306", "log.level", "warn"},
                        new Object[] {"mariadb", "127.0.0.1:3307", "max_connections", "151"}),
                () -> {});
    }

    private static Table clusterLoad() {
        return new InMemoryTable(
                List.of("TYPE", "INSTANCE", "DEVICE_TYPE", "DEVICE_NAME", "NAME", "VALUE"),
                List.of(
                        SqlTypeName.VARCHAR,
                        SqlTypeName.VARCHAR,
                        SqlTypeName.VARCHAR,
                        SqlTypeName.VARCHAR,
                        SqlTypeName.VARCHAR,
                        SqlTypeName.DOUBLE),
                List.of(
                        new Object[] {"mariadb", "127.0.0.1:3306", "cpu", "cpu", "load1", 0.25},
                        new Object[] {"mariadb", "127.0.0.1:3306", "memory", "memory", "total", 8.0e9},
                        new Object[] {"mariadb", "127.0.0.1:3307", "cpu", "cpu", "load1", null}),
                () -> {});
    }

    private static final class InMemoryTable extends AbstractTable implements ScannableTable {
        private final List<String> names;
        private final List<SqlTypeName> types;
        private final List<Object[]> rows;
        private final Runnable onScan;

        InMemoryTable(List<String> names, List<SqlTypeName> types, List<Object[]> rows, Runnable onScan) {
            this.names = names;
            this.types = types;
            this.rows = rows;
            this.onScan = onScan;
        }

        @Override
        public RelDataType getRowType(RelDataTypeFactory factory) {
            RelDataTypeFactory.Builder builder = factory.builder();
            for (int i = 0; i < names.size(); i++) {
                builder.add(names.get(i), factory.createTypeWithNullability(factory.createSqlType(types.get(i)), true));
            }
            return builder.build();
        }

        @Override
        public Enumerable<Object[]> scan(DataContext root) {
            onScan.run();
            return Linq4j.asEnumerable(new ArrayList<>(rows));
        }
    }
}
