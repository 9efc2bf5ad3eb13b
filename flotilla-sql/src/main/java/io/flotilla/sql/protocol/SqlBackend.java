package io.flotilla.sql.protocol;

import io.flotilla.sql.SqlError;
import java.util.Map;
import java.util.Optional;

/** What the wire protocol asks of the SQL front-end behind it: accounts, and sessions that run statements. */
public interface SqlBackend {
    /** The plaintext password of {@code user}, or empty when there is no such account. */
    Optional<String> password(String user);

    /**
     * A session for an authenticated user.
     *
     * @param database the database the client asked for at connect, or {@code null}
     * @param serverVariables the system variables the server enforces ({@code wait_timeout}, ...),
     *     with their values, for the session to report
     * @throws SqlError when that database does not exist
     */
    Session open(String user, String clientHost, String database, Map<String, String> serverVariables);

    /** One client connection's state: its current database and its warnings. */
    interface Session {
        /** Runs one statement; a failure is a {@link SqlError}. */
        StatementResult execute(String sql);

        /** COM_INIT_DB. */
        void use(String database);

        /** The warnings the last statement left, counted in OK and EOF packets. */
        int warningCount();

        /** The connection ended; releases what the session holds. */
        default void close() {}
    }
}
