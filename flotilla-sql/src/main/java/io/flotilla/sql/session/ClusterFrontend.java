package io.flotilla.sql.session;

import static java.util.Objects.requireNonNull;

import io.flotilla.sql.ClusterSql;
import io.flotilla.sql.protocol.SqlBackend;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The SQL front-end of a set of clusters: who may connect, and a {@link ClusterSession} per
 * connection. The wire protocol and the in-process shell ({@code flotilla sql}) both run on it.
 */
public final class ClusterFrontend implements SqlBackend {
    private final ClusterSql clusters;
    private final Map<String, Account> accounts;
    private final AtomicLong connectionIds = new AtomicLong();

    public ClusterFrontend(ClusterSql clusters, List<Account> accounts) {
        this.clusters = requireNonNull(clusters, "clusters is null");
        this.accounts = accounts.stream().collect(Collectors.toUnmodifiableMap(Account::user, Function.identity()));
    }

    @Override
    public Optional<String> password(String user) {
        return Optional.ofNullable(accounts.get(user)).map(Account::password);
    }

    /** A session with the system variables' defaults (the in-process shell has no network limits). */
    public ClusterSession open(String user, String clientHost, String database) {
        return open(user, clientHost, database, Map.of());
    }

    @Override
    public ClusterSession open(String user, String clientHost, String database, Map<String, String> serverVariables) {
        Account account = accounts.get(user);
        if (account == null) {
            throw new IllegalArgumentException("there is no SQL user '%s'".formatted(user));
        }
        ClusterSession session = new ClusterSession(
                clusters, account, clientHost, connectionIds.incrementAndGet(), new SystemVariables(serverVariables));
        if (database != null) {
            session.use(database);
        } else if (clusters instanceof SingleCluster single) {
            // An endpoint that serves one cluster starts in it: `mariadb -h HOST -P 4406 -u root -p`
            // then `SELECT * FROM CLUSTER_INFO` works as the playground prints it.
            session.use(single.name());
        }
        return session;
    }
}
