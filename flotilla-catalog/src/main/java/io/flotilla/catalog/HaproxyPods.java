package io.flotilla.catalog;

import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import io.flotilla.topology.Topology;
import java.util.List;

/**
 * HAProxy on Kubernetes from the official image, with the catalog's layout (read-write to the
 * MariaDB primary, reads round-robin over the replicas with the primary as backup) addressed by
 * Kubernetes names. HAProxy's resolvers ignore the search list, so the names are fully
 * qualified; {@code init-addr none} lets it start before the MariaDB pods exist.
 */
final class HaproxyPods implements KubernetesPods {
    static final String VERSION = "2.6";

    @Override
    public String imageRepository() {
        return "haproxy";
    }

    @Override
    public String defaultVersion() {
        return VERSION;
    }

    @Override
    public List<String> missing(Topology topology) {
        if (!topology.instances(Schemas.MARIADB.component()).isEmpty()) {
            return List.of();
        }
        return List.of("haproxy_servers: on Kubernetes HAProxy routes to MariaDB, and the topology has no"
                + " mariadb_servers; a TiDB Service balances its pods by itself");
    }

    @Override
    public PodTemplate template(PodTier tier, PodAddresses addresses) {
        return PodTemplate.builder()
                .port("mysql", tier.port("port"))
                .port("mysql-read", tier.port("read_port"))
                .port("stats", tier.port("stats_port"))
                .mount("config", "/usr/local/etc/haproxy")
                .file("haproxy.cfg", config(tier, addresses))
                .servicePorts("mysql", "mysql-read", "stats")
                .build();
    }

    private static String config(PodTier tier, PodAddresses addresses) {
        String domain = addresses.clusterDomain();
        String namespace = addresses.namespace();
        List<Instance> mariadb = tier.topology().instances(Schemas.MARIADB.component());
        Instance primary =
                mariadb.stream().filter(MariaDbKind::isPrimary).findFirst().orElseThrow();
        List<Instance> replicas = mariadb.stream()
                .filter(instance -> !MariaDbKind.isPrimary(instance))
                .toList();
        StringBuilder cfg = new StringBuilder(tier.header());
        cfg.append("""
                global
                    maxconn 4096

                resolvers kubernetes
                    parse-resolv-conf
                    hold valid 10s

                %s resolvers kubernetes init-addr none

                frontend mysql_read_write
                    bind :%d
                    default_backend mariadb_primary

                frontend mysql_read
                    bind :%d
                    default_backend mariadb_replicas

                frontend stats
                    mode http
                    bind :%d
                    timeout client 10s
                    http-request use-service prometheus-exporter if { path /metrics }
                    http-request return status 404 content-type text/plain string "metrics are at /metrics\\n" unless { path /metrics }

                """.formatted(
                        HaproxyKind.DEFAULTS, tier.port("port"), tier.port("read_port"), tier.port("stats_port")));
        String primaryHost = "%s.%s.svc.%s:%d"
                .formatted(addresses.workload(MariaDbKind.PRIMARY_TIER), namespace, domain, primary.mainPort());
        cfg.append("backend mariadb_primary\n");
        cfg.append("    server primary %s check\n".formatted(primaryHost));
        cfg.append("\nbackend mariadb_replicas\n    balance roundrobin\n");
        int replicaPort = replicas.stream().findFirst().map(Instance::mainPort).orElse(primary.mainPort());
        for (int ordinal = 0; ordinal < replicas.size(); ordinal++) {
            cfg.append("    server replica-%d %s-%d.%s.%s.svc.%s:%d check\n"
                    .formatted(
                            ordinal,
                            addresses.workload(MariaDbKind.REPLICA_TIER),
                            ordinal,
                            addresses.peerService(MariaDbKind.REPLICA_TIER),
                            namespace,
                            domain,
                            replicaPort));
        }
        cfg.append("    server primary %s check backup\n".formatted(primaryHost));
        return cfg.toString();
    }
}
