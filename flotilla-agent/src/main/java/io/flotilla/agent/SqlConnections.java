package io.flotilla.agent;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.SqlAdmin;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/** The agent's administrative SQL connections to the instances of its host, from each spec's {@link SqlAdmin}. */
final class SqlConnections {
    private SqlConnections() {}

    /**
     * A connection as the spec's administrative user; the caller closes it.
     *
     * @param socketTimeout how long one statement may run before the connection gives up
     */
    static Connection open(InstanceSpec spec, Duration socketTimeout) {
        SqlAdmin admin = spec.sql();
        if (admin == null) {
            throw new AgentException(
                    Code.BAD_REQUEST, "%s %s does not speak SQL".formatted(spec.component(), spec.id()));
        }
        Properties properties = new Properties();
        properties.setProperty("user", admin.user());
        try {
            properties.setProperty("password", ProbeRunner.readPassword(Path.of(admin.passwordFile())));
        } catch (RuntimeException e) {
            throw new AgentException(
                    Code.INTERNAL, "cannot reach %s %s: %s".formatted(spec.component(), spec.id(), e.getMessage()));
        }
        properties.setProperty("connectTimeout", "3000");
        properties.setProperty("socketTimeout", String.valueOf(socketTimeout.toMillis()));
        // The instance is on the agent's own host: the password never leaves the machine.
        properties.setProperty("sslMode", "disable");
        try {
            return DriverManager.getConnection("jdbc:mariadb://%s/".formatted(address(admin)), properties);
        } catch (SQLException e) {
            throw down(spec, e);
        }
    }

    /** The error for an instance that does not answer, or that failed a statement, in SQL. */
    static AgentException down(InstanceSpec spec, SQLException e) {
        return new AgentException(
                Code.INSTANCE_DOWN,
                "%s %s does not answer SQL on %s: %s; check that it runs (flotilla cluster display)"
                        .formatted(spec.component(), spec.id(), address(spec.sql()), firstLine(e.getMessage())));
    }

    private static String address(SqlAdmin admin) {
        return admin.host().contains(":")
                ? "[%s]:%d".formatted(admin.host(), admin.port())
                : "%s:%d".formatted(admin.host(), admin.port());
    }

    static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
