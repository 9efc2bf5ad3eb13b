package io.flotilla.catalog;

import io.flotilla.catalog.PodTemplate.Env;
import io.flotilla.topology.Schemas;
import io.flotilla.topology.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * PD, TiKV and TiDB on Kubernetes, from PingCAP's images: the flags are the catalog's with pod
 * names and the images' paths, and each tier's TOML file is the catalog's.
 */
final class TidbPods {
    static final String VERSION = "v8.5.0";
    /** Raft keeps three copies (PD members, TiKV region replicas); fewer pods than copies loses the quorum. */
    private static final int RAFT_COPIES = 3;
    /** What TiKV's and TiDB's pods need: PD to place and find the data, TiKV to hold it. */
    private static final List<String> CORE = List.of("pd", "tikv");

    private TidbPods() {}

    static KubernetesPods pd() {
        return new Base("pd", List.of()) {
            @Override
            public Optional<String> scaleRefusal(String tier, int replicas) {
                return raftQuorum(tier, replicas, "the PD members");
            }

            @Override
            public PodTemplate template(PodTier tier, PodAddresses addresses) {
                int client = tier.port("client_port");
                int peer = tier.port("peer_port");
                String initialCluster = IntStream.range(0, tier.replicas())
                        .mapToObj(ordinal -> "%s-%d=http://%s:%d"
                                .formatted(
                                        addresses.workload(tier.name()),
                                        ordinal,
                                        addresses.podHost(tier.name(), ordinal),
                                        peer))
                        .collect(Collectors.joining(","));
                String own = addresses.ownPodHost(tier.name());
                return PodTemplate.builder()
                        .port("client", client)
                        .port("peer", peer)
                        .command("/pd-server")
                        .args(
                                "--name=$(POD_NAME)",
                                "--data-dir=/var/lib/pd",
                                "--client-urls=http://0.0.0.0:%d".formatted(client),
                                "--advertise-client-urls=http://%s:%d".formatted(own, client),
                                "--peer-urls=http://0.0.0.0:%d".formatted(peer),
                                "--advertise-peer-urls=http://%s:%d".formatted(own, peer),
                                "--initial-cluster=" + initialCluster,
                                "--config=/etc/pd/pd.toml")
                        .mount("data", "/var/lib/pd")
                        .mount("config", "/etc/pd")
                        .file("pd.toml", toml(tier))
                        .peerPorts("client", "peer")
                        .servicePorts("client")
                        .build();
            }

            @Override
            public Optional<String> scaleRefusal(String tier, int current, int replicas) {
                return Optional.of(("%s's members are fixed when the cluster starts (--initial-cluster names %d); a pod"
                                + " added or removed by scaling would not join or leave the Raft group. Keep %s at %d")
                        .formatted(tier, current, tier, current));
            }
        };
    }

    static KubernetesPods tikv() {
        return new Base("tikv", CORE) {
            @Override
            public String storageSize() {
                return "100Gi";
            }

            @Override
            public Optional<String> scaleRefusal(String tier, int replicas) {
                return raftQuorum(tier, replicas, "the replicas of each region");
            }

            @Override
            public PodTemplate template(PodTier tier, PodAddresses addresses) {
                int server = tier.port("port");
                int status = tier.port("status_port");
                String own = addresses.ownPodHost(tier.name());
                return PodTemplate.builder()
                        .port("server", server)
                        .port("status", status)
                        .command("/tikv-server")
                        .args(
                                "--addr=0.0.0.0:%d".formatted(server),
                                "--advertise-addr=%s:%d".formatted(own, server),
                                "--status-addr=0.0.0.0:%d".formatted(status),
                                "--advertise-status-addr=%s:%d".formatted(own, status),
                                "--pd=http://" + pdClient(tier.topology(), addresses),
                                "--data-dir=/var/lib/tikv",
                                "--config=/etc/tikv/tikv.toml")
                        .mount("data", "/var/lib/tikv")
                        .mount("config", "/etc/tikv")
                        .file("tikv.toml", toml(tier))
                        .peerPorts("server", "status")
                        .build();
            }

            @Override
            public Optional<String> scaleRefusal(String tier, int current, int replicas) {
                if (replicas >= current - 1) {
                    return Optional.empty();
                }
                return Optional.of(("%s shrinks one pod at a time, so that every region keeps a majority of its"
                                + " replicas: scale to %d, wait for PD to move the regions, then go on")
                        .formatted(tier, current - 1));
            }

            @Override
            public Optional<String> afterScale(String tier, String workload, int current, int replicas) {
                if (replicas >= current) {
                    return Optional.empty();
                }
                return Optional.of(("%s: the store of pod %s-%d stays in PD as Down; remove it with pd-ctl store delete"
                                + " once its regions have moved")
                        .formatted(tier, workload, current - 1));
            }
        };
    }

    static KubernetesPods tidb() {
        return new Base("tidb", CORE) {
            @Override
            public PodTemplate template(PodTier tier, PodAddresses addresses) {
                int mysql = tier.port("port");
                int status = tier.port("status_port");
                return PodTemplate.builder()
                        .port("mysql", mysql)
                        .port("status", status)
                        .env(Env.field("POD_IP", "status.podIP"))
                        .command("/tidb-server")
                        .args(
                                "-P",
                                String.valueOf(mysql),
                                "--status=" + status,
                                "--host=0.0.0.0",
                                "--advertise-address=$(POD_IP)",
                                "--store=tikv",
                                "--path=" + pdClient(tier.topology(), addresses),
                                "--config=/etc/tidb/tidb.toml")
                        .mount("config", "/etc/tidb")
                        .file("tidb.toml", toml(tier))
                        .servicePorts("mysql", "status")
                        .build();
            }

            /** The MySQL protocol of TiDB, reached with MariaDB's client. */
            @Override
            public Optional<SqlEndpoint> sqlEndpoint(Topology topology, PodAddresses addresses) {
                return topology.instances("tidb").stream()
                        .findFirst()
                        .map(tidb -> new SqlEndpoint(
                                addresses.serviceHost(addresses.workload("tidb")),
                                tidb.port("port"),
                                addresses.image(Schemas.MARIADB.component())));
            }
        };
    }

    /** The PD members' Service, as TiKV and TiDB reach it: HOST:PORT. */
    private static String pdClient(Topology topology, PodAddresses addresses) {
        return "%s:%d"
                .formatted(
                        addresses.serviceHost(addresses.workload("pd")),
                        topology.instances("pd").getFirst().port("client_port"));
    }

    /** The catalog's TOML file of the tier's first instance, for every pod. */
    private static String toml(PodTier tier) {
        return Toml.render(
                "Written by Flotilla for the %s pods of %s.".formatted(tier.name(), tier.clusterName()),
                tier.first().config());
    }

    /** Fewer pods than Raft keeps copies of {@code what} loses the quorum. */
    private static Optional<String> raftQuorum(String tier, int replicas, String what) {
        return replicas < RAFT_COPIES
                ? Optional.of(
                        "%s cannot go below %d pods: Raft keeps %d copies (%s), and fewer pods than copies loses the quorum"
                                .formatted(tier, RAFT_COPIES, RAFT_COPIES, what))
                : Optional.empty();
    }

    /** PingCAP's image of the component, and the tiers its pods need beside them. */
    private abstract static class Base implements KubernetesPods {
        private final String component;
        private final List<String> needed;

        Base(String component, List<String> needed) {
            this.component = component;
            this.needed = needed;
        }

        @Override
        public String imageRepository() {
            return "pingcap/" + component;
        }

        @Override
        public String defaultVersion() {
            return VERSION;
        }

        @Override
        public List<String> missing(Topology topology) {
            List<String> missing = new ArrayList<>();
            for (String tier : needed) {
                if (topology.instances(tier).isEmpty()) {
                    missing.add("%s_servers: the TiDB cluster needs %s, and the topology declares none"
                            .formatted(tier, tier));
                }
            }
            return missing;
        }
    }
}
