package io.flotilla.catalog;

import io.flotilla.catalog.PodTemplate.Env;
import io.flotilla.catalog.PodTemplate.InitContainer;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.util.List;
import java.util.Optional;

/**
 * MariaDB on Kubernetes from the official image: a primary tier of one pod and a replica tier,
 * each a StatefulSet. The image's entrypoint sources the init scripts once, when it creates the
 * data directory: the primary's creates the replication user, a replica's points it at the
 * primary's Service with GTID.
 */
record MariaDbPods(MariaDbKind kind) implements KubernetesPods {
    static final String VERSION = "10.11";
    static final String REPLICATION_PASSWORD_KEY = "replication-password";

    /** What belongs to a host in the catalog's my.cnf: the image keeps its data in /var/lib/mysql, and start.sh sets server_id. */
    private static final List<String> HOST_ONLY = List.of(
            "datadir",
            "bind-address",
            "socket",
            "pid-file",
            "tmpdir",
            "slow_query_log_file",
            "user",
            "server-id",
            "log-bin",
            "relay-log");

    @Override
    public String imageRepository() {
        return "mariadb";
    }

    @Override
    public String defaultVersion() {
        return VERSION;
    }

    @Override
    public String storageSize() {
        return "20Gi";
    }

    @Override
    public List<String> secretKeys() {
        return List.of(REPLICATION_PASSWORD_KEY);
    }

    @Override
    public PodTemplate template(PodTier tier, PodAddresses addresses) {
        boolean primary = tier.name().equals(MariaDbKind.PRIMARY_TIER);
        int mysql = tier.port("port");
        String initScript = primary ? "10-replication-user.sh" : "20-join-primary.sh";
        PodTemplate.Builder template = PodTemplate.builder()
                .port("mysql", mysql)
                // Not executable: the image's entrypoint sources the init scripts only when they are not.
                .command("/bin/sh", "/flotilla/start.sh")
                .env(
                        Env.secret("MARIADB_ROOT_PASSWORD", ROOT_PASSWORD_KEY),
                        Env.secret("FLOTILLA_REPLICATION_PASSWORD", REPLICATION_PASSWORD_KEY),
                        Env.value("SERVER_ID_BASE", primary ? "1" : "100"))
                .mount("data", "/var/lib/mysql")
                .mount("config", "/flotilla")
                .mountFile("config", "/etc/mysql/conf.d/flotilla.cnf", "flotilla.cnf")
                .mountFile("config", "/docker-entrypoint-initdb.d/" + initScript, initScript)
                .file("flotilla.cnf", config(tier))
                .file("start.sh", """
                        #!/bin/sh
                        # Every pod gets its own server_id: the tier's base plus the pod's StatefulSet ordinal.
                        set -e
                        ordinal="${HOSTNAME##*-}"
                        exec docker-entrypoint.sh mariadbd --server-id="$((SERVER_ID_BASE + ordinal))"
                        """)
                .peerPorts("mysql");
        String primaryHost = addresses.serviceHost(addresses.workload(MariaDbKind.PRIMARY_TIER));
        int primaryPort = primary(tier.topology())
                .orElseThrow(() -> new IllegalStateException("the topology has no MariaDB primary"))
                .mainPort();
        if (primary) {
            template.file(initScript, """
                    # Sourced by the image's entrypoint once, when it creates the data directory.
                    # The user the replicas connect as; kept out of the binary log.
                    docker_process_sql <<EOSQL
                    SET @@SESSION.SQL_LOG_BIN = 0;
                    CREATE USER IF NOT EXISTS '%1$s'@'%%' IDENTIFIED BY '$(docker_sql_escape_string_literal "$FLOTILLA_REPLICATION_PASSWORD")';
                    GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '%1$s'@'%%';
                    EOSQL
                    """.formatted(MariaDbKind.REPLICATION_USER));
            template.servicePorts("mysql");
        } else {
            template.file(initScript, """
                    # Sourced by the image's entrypoint once, when it creates the data directory
                    # (the init container has waited for the primary). The replication settings
                    # live in the data directory from then on, and the replica threads start
                    # with the server.
                    docker_process_sql <<EOSQL
                    CHANGE MASTER TO MASTER_HOST = '%s', MASTER_PORT = %d, MASTER_USER = '%s', MASTER_PASSWORD = '$(docker_sql_escape_string_literal "$FLOTILLA_REPLICATION_PASSWORD")', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10;
                    EOSQL
                    """.formatted(primaryHost, primaryPort, MariaDbKind.REPLICATION_USER));
            template.init(new InitContainer(
                    "wait-for-primary",
                    addresses.image(kind.name()),
                    """
                    until MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb --protocol=tcp --host=%1$s --port=%2$d --user=root --connect-timeout=2 --execute='SELECT 1' >/dev/null 2>&1; do
                      echo "waiting for the MariaDB primary %1$s:%2$d"
                      sleep 2
                    done
                    echo "the MariaDB primary %1$s:%2$d answers"
                    """.formatted(primaryHost, primaryPort),
                    List.of(Env.secret("MARIADB_ROOT_PASSWORD", ROOT_PASSWORD_KEY))));
        }
        return template.build();
    }

    /** The primary's Service, reached with MariaDB's own client. */
    @Override
    public Optional<SqlEndpoint> sqlEndpoint(Topology topology, PodAddresses addresses) {
        return primary(topology)
                .map(primary -> new SqlEndpoint(
                        addresses.serviceHost(addresses.workload(MariaDbKind.PRIMARY_TIER)),
                        primary.mainPort(),
                        addresses.image(kind.name())));
    }

    @Override
    public Optional<String> scaleRefusal(String tier, int replicas) {
        if (tier.equals(MariaDbKind.REPLICA_TIER)) {
            return replicas < 0 ? Optional.of("%s cannot go below 0 pods".formatted(tier)) : Optional.empty();
        }
        if (replicas < 1) {
            return Optional.of("%s is one pod; scale %s instead".formatted(tier, MariaDbKind.REPLICA_TIER));
        }
        if (replicas != 1) {
            return Optional.of("%s is one pod: a second primary would take writes of its own; scale %s instead"
                    .formatted(tier, MariaDbKind.REPLICA_TIER));
        }
        return Optional.empty();
    }

    private Optional<Instance> primary(Topology topology) {
        return topology.instances(kind.name()).stream()
                .filter(MariaDbKind::isPrimary)
                .findFirst();
    }

    /** The catalog's my.cnf for the tier without what belongs to a host. */
    private String config(PodTier tier) {
        String catalogFile = kind.configFiles(tier.context()).get("conf/my.cnf");
        StringBuilder cnf = new StringBuilder(tier.header());
        cnf.append("[mariadbd]\n");
        cnf.append("log-bin = mariadb-bin\n");
        cnf.append("relay-log = relay-bin\n");
        boolean inServer = false;
        for (String line : catalogFile.split("\n")) {
            if (line.startsWith("[")) {
                inServer = line.equals("[mariadbd]");
                continue;
            }
            int equals = line.indexOf(" = ");
            if (!inServer || line.startsWith("#") || equals < 0) {
                continue;
            }
            if (!HOST_ONLY.contains(line.substring(0, equals))) {
                cnf.append(line).append('\n');
            }
        }
        return cnf.toString();
    }
}
