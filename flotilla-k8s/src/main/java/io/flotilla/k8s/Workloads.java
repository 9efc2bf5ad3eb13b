package io.flotilla.k8s;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.flotilla.catalog.InstanceContext;
import io.flotilla.catalog.MariaDbKind;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The Kubernetes objects of each tier. The catalog's command lines name hosts and deploy
 * directories, which pods do not have, so the flags here are the catalog's with pod names and the
 * images' paths; the config files, probes, start order and stop timeouts are the catalog's own.
 */
final class Workloads {
    static final String DEFAULT_TIDB_VERSION = "v8.5.0";
    static final String DEFAULT_MARIADB_VERSION = "10.11";
    static final String DEFAULT_HAPROXY_VERSION = "2.6";
    /** Where the catalog's files would go on a host; pods only take the files' content from it. */
    private static final Path NO_AGENT_DIR = Path.of("/var/lib/flotilla");

    private final Topology topology;
    private final RenderOptions options;
    private final Names names;
    private final Map<String, Autoscale> autoscale;
    private final Map<String, ResourceRequirements> resources;

    Workloads(
            Topology topology,
            RenderOptions options,
            Map<String, Autoscale> autoscale,
            Map<String, ResourceRequirements> resources) {
        this.topology = topology;
        this.options = options;
        this.names = new Names(options);
        this.autoscale = Map.copyOf(autoscale);
        this.resources = Map.copyOf(resources);
    }

    List<HasMetadata> of(Tier tier) {
        return switch (tier.component()) {
            case "pd" -> pd(tier);
            case "tikv" -> tikv(tier);
            case "tidb" -> tidb(tier);
            case "mariadb" -> mariadb(tier);
            case "haproxy" -> haproxy(tier);
            default -> throw new IllegalArgumentException("no Kubernetes workload for %s".formatted(tier.component()));
        };
    }

    String image(String component) {
        String version = topology.componentVersions().get(component);
        return switch (component) {
            case "mariadb" -> names.image("mariadb", version == null ? DEFAULT_MARIADB_VERSION : version);
            case "haproxy" -> names.image("haproxy", version == null ? DEFAULT_HAPROXY_VERSION : version);
            default -> names.image("pingcap/" + component, version == null ? DEFAULT_TIDB_VERSION : version);
        };
    }

    private List<HasMetadata> pd(Tier tier) {
        String peer = names.peerService(tier);
        int client = tier.port("client_port");
        int peerPort = tier.port("peer_port");
        String initialCluster = IntStream.range(0, tier.replicas())
                .mapToObj(ordinal -> "%s-%d=http://%s:%d"
                        .formatted(names.workload(tier), ordinal, names.podHost(tier, ordinal), peerPort))
                .collect(Collectors.joining(","));
        List<ContainerPort> ports = List.of(port("client", client), port("peer", peerPort));
        Container container = container(tier, ports)
                .withCommand("/pd-server")
                .withArgs(
                        "--name=$(POD_NAME)",
                        "--data-dir=/var/lib/pd",
                        "--client-urls=http://0.0.0.0:%d".formatted(client),
                        "--advertise-client-urls=http://%s:%d".formatted(names.ownPodHost(tier), client),
                        "--peer-urls=http://0.0.0.0:%d".formatted(peerPort),
                        "--advertise-peer-urls=http://%s:%d".formatted(names.ownPodHost(tier), peerPort),
                        "--initial-cluster=" + initialCluster,
                        "--config=/etc/pd/pd.toml")
                .withVolumeMounts(mount("data", "/var/lib/pd"), mount("config", "/etc/pd"))
                .build();
        List<HasMetadata> objects = new ArrayList<>();
        objects.add(tomlConfig(tier, "pd.toml"));
        objects.add(headless(tier, List.of(servicePort("client", client), servicePort("peer", peerPort))));
        objects.add(service(tier, names.workload(tier), List.of(servicePort("client", client))));
        objects.add(statefulSet(tier, peer, container, configVolume(tier)));
        disruptionBudget(tier).ifPresent(objects::add);
        return objects;
    }

    private List<HasMetadata> tikv(Tier tier) {
        int server = tier.port("port");
        int status = tier.port("status_port");
        String pd = pdClientUrl();
        Container container = container(tier, List.of(port("server", server), port("status", status)))
                .withCommand("/tikv-server")
                .withArgs(
                        "--addr=0.0.0.0:%d".formatted(server),
                        "--advertise-addr=%s:%d".formatted(names.ownPodHost(tier), server),
                        "--status-addr=0.0.0.0:%d".formatted(status),
                        "--advertise-status-addr=%s:%d".formatted(names.ownPodHost(tier), status),
                        "--pd=" + pd,
                        "--data-dir=/var/lib/tikv",
                        "--config=/etc/tikv/tikv.toml")
                .withVolumeMounts(mount("data", "/var/lib/tikv"), mount("config", "/etc/tikv"))
                .build();
        List<HasMetadata> objects = new ArrayList<>();
        objects.add(tomlConfig(tier, "tikv.toml"));
        objects.add(headless(tier, List.of(servicePort("server", server), servicePort("status", status))));
        objects.add(statefulSet(tier, names.peerService(tier), container, configVolume(tier)));
        disruptionBudget(tier).ifPresent(objects::add);
        return objects;
    }

    private List<HasMetadata> tidb(Tier tier) {
        int mysql = tier.port("port");
        int status = tier.port("status_port");
        Container container = container(tier, List.of(port("mysql", mysql), port("status", status)))
                .addToEnv(new EnvVarBuilder()
                        .withName("POD_IP")
                        .withNewValueFrom()
                        .withNewFieldRef()
                        .withFieldPath("status.podIP")
                        .endFieldRef()
                        .endValueFrom()
                        .build())
                .withCommand("/tidb-server")
                .withArgs(
                        "-P",
                        String.valueOf(mysql),
                        "--status=" + status,
                        "--host=0.0.0.0",
                        "--advertise-address=$(POD_IP)",
                        "--store=tikv",
                        "--path=%s:%d".formatted(names.serviceHost(pdClientService()), pdClientPort()),
                        "--config=/etc/tidb/tidb.toml")
                .withVolumeMounts(mount("config", "/etc/tidb"))
                .build();
        List<HasMetadata> objects = new ArrayList<>();
        objects.add(tomlConfig(tier, "tidb.toml"));
        objects.add(service(
                tier, names.workload(tier), List.of(servicePort("mysql", mysql), servicePort("status", status))));
        objects.addAll(deployment(tier, container, configVolume(tier)));
        return objects;
    }

    private List<HasMetadata> mariadb(Tier tier) {
        boolean primary = tier.name().equals(MariaDbKind.PRIMARY_TIER);
        int mysql = tier.port("port");
        String initScript = primary ? "10-replication-user.sh" : "20-join-primary.sh";
        ContainerBuilder builder = container(tier, List.of(port("mysql", mysql)))
                // Not executable: the image's entrypoint sources the init scripts only when they are not.
                .withCommand("/bin/sh", "/flotilla/start.sh")
                .addToEnv(
                        secretEnv("MARIADB_ROOT_PASSWORD", ManifestRenderer.ROOT_PASSWORD_KEY),
                        secretEnv("FLOTILLA_REPLICATION_PASSWORD", ManifestRenderer.REPLICATION_PASSWORD_KEY),
                        new EnvVarBuilder()
                                .withName("SERVER_ID_BASE")
                                .withValue(primary ? "1" : "100")
                                .build())
                .withVolumeMounts(
                        mount("data", "/var/lib/mysql"),
                        mount("config", "/flotilla"),
                        subPathMount("config", "/etc/mysql/conf.d/flotilla.cnf", "flotilla.cnf"),
                        subPathMount("config", "/docker-entrypoint-initdb.d/" + initScript, initScript));
        StatefulSet statefulSet = statefulSet(tier, names.peerService(tier), builder.build(), configVolume(tier));
        if (!primary) {
            statefulSet.getSpec().getTemplate().getSpec().setInitContainers(List.of(waitForPrimary(tier)));
        }
        List<HasMetadata> objects = new ArrayList<>();
        objects.add(new ConfigMapBuilder()
                .withMetadata(names.meta(names.workload(tier) + "-config", tier))
                .withData(mariadbFiles(tier, primary, initScript))
                .build());
        objects.add(headless(tier, List.of(servicePort("mysql", mysql))));
        if (primary) {
            objects.add(service(tier, names.workload(tier), List.of(servicePort("mysql", mysql))));
        }
        objects.add(statefulSet);
        disruptionBudget(tier).ifPresent(objects::add);
        return objects;
    }

    /** The primary's address, for replicas, HAProxy and the init Job. */
    String mariadbPrimaryService() {
        return options.clusterName() + "-" + MariaDbKind.PRIMARY_TIER;
    }

    private Map<String, String> mariadbFiles(Tier tier, boolean primary, String initScript) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("flotilla.cnf", mariadbConfig(tier));
        files.put("start.sh", """
                #!/bin/sh
                # Every pod gets its own server_id: the tier's base plus the pod's StatefulSet ordinal.
                set -e
                ordinal="${HOSTNAME##*-}"
                exec docker-entrypoint.sh mariadbd --server-id="$((SERVER_ID_BASE + ordinal))"
                """);
        int primaryPort = topology.instances("mariadb").stream()
                .filter(MariaDbKind::isPrimary)
                .findFirst()
                .orElseThrow()
                .mainPort();
        files.put(
                initScript,
                primary
                        ? """
                        # Sourced by the image's entrypoint once, when it creates the data directory.
                        # The user the replicas connect as; kept out of the binary log.
                        docker_process_sql <<EOSQL
                        SET @@SESSION.SQL_LOG_BIN = 0;
                        CREATE USER IF NOT EXISTS '%1$s'@'%%' IDENTIFIED BY '$(docker_sql_escape_string_literal "$FLOTILLA_REPLICATION_PASSWORD")';
                        GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '%1$s'@'%%';
                        EOSQL
                        """.formatted(MariaDbKind.REPLICATION_USER)
                        : """
                        # Sourced by the image's entrypoint once, when it creates the data directory
                        # (the init container has waited for the primary). The replication settings
                        # live in the data directory from then on, and the replica threads start
                        # with the server.
                        docker_process_sql <<EOSQL
                        CHANGE MASTER TO MASTER_HOST = '%s', MASTER_PORT = %d, MASTER_USER = '%s', MASTER_PASSWORD = '$(docker_sql_escape_string_literal "$FLOTILLA_REPLICATION_PASSWORD")', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10;
                        EOSQL
                        """.formatted(
                                names.serviceHost(mariadbPrimaryService()), primaryPort, MariaDbKind.REPLICATION_USER));
        return files;
    }

    /**
     * The catalog's my.cnf for the tier without what belongs to a host (paths, bind address,
     * user, server_id): the image keeps its data in /var/lib/mysql, and start.sh sets server_id.
     */
    private String mariadbConfig(Tier tier) {
        List<String> hostOnly = List.of(
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
        String catalogFile = tier.kind().configFiles(context(tier.first())).get("conf/my.cnf");
        StringBuilder cnf = new StringBuilder();
        cnf.append("# Written by Flotilla for the %s pods of %s.\n".formatted(tier.name(), options.clusterName()));
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
            if (!hostOnly.contains(line.substring(0, equals))) {
                cnf.append(line).append('\n');
            }
        }
        return cnf.toString();
    }

    private Container waitForPrimary(Tier tier) {
        String host = names.serviceHost(mariadbPrimaryService());
        int port = topology.instances("mariadb").stream()
                .filter(MariaDbKind::isPrimary)
                .findFirst()
                .orElseThrow()
                .mainPort();
        String script = """
                until MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb --protocol=tcp --host=%1$s --port=%2$d --user=root --connect-timeout=2 --execute='SELECT 1' >/dev/null 2>&1; do
                  echo "waiting for the MariaDB primary %1$s:%2$d"
                  sleep 2
                done
                echo "the MariaDB primary %1$s:%2$d answers"
                """.formatted(host, port);
        return new ContainerBuilder()
                .withName("wait-for-primary")
                .withImage(image("mariadb"))
                .withImagePullPolicy("IfNotPresent")
                .withCommand("/bin/sh", "-c", script)
                .withEnv(secretEnv("MARIADB_ROOT_PASSWORD", ManifestRenderer.ROOT_PASSWORD_KEY))
                .build();
    }

    private List<HasMetadata> haproxy(Tier tier) {
        int readWrite = tier.port("port");
        int read = tier.port("read_port");
        int stats = tier.port("stats_port");
        Container container = container(
                        tier, List.of(port("mysql", readWrite), port("mysql-read", read), port("stats", stats)))
                .withVolumeMounts(mount("config", "/usr/local/etc/haproxy"))
                .build();
        List<HasMetadata> objects = new ArrayList<>();
        objects.add(new ConfigMapBuilder()
                .withMetadata(names.meta(names.workload(tier) + "-config", tier))
                .withData(Map.of("haproxy.cfg", haproxyConfig(tier)))
                .build());
        objects.add(service(
                tier,
                names.workload(tier),
                List.of(
                        servicePort("mysql", readWrite),
                        servicePort("mysql-read", read),
                        servicePort("stats", stats))));
        objects.addAll(deployment(tier, container, configVolume(tier)));
        return objects;
    }

    /**
     * The catalog's HAProxy layout (read-write to the primary, reads round-robin over the
     * replicas with the primary as backup) addressed by Kubernetes names. HAProxy's resolvers
     * ignore the search list, so the names are fully qualified; {@code init-addr none} lets it
     * start before the MariaDB pods exist.
     */
    private String haproxyConfig(Tier tier) {
        String domain = options.clusterDomain();
        List<Instance> mariadb = topology.instances("mariadb");
        Instance primary =
                mariadb.stream().filter(MariaDbKind::isPrimary).findFirst().orElseThrow();
        long replicas = mariadb.stream()
                .filter(instance -> !MariaDbKind.isPrimary(instance))
                .count();
        String replicaTier = options.clusterName() + "-" + MariaDbKind.REPLICA_TIER;
        StringBuilder cfg = new StringBuilder();
        cfg.append("# Written by Flotilla for the haproxy pods of %s.\n".formatted(options.clusterName()));
        cfg.append("""
                global
                    maxconn 4096

                resolvers kubernetes
                    parse-resolv-conf
                    hold valid 10s

                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 1h
                    timeout server 1h
                    timeout check 2s
                    default-server inter 1s fall 2 rise 1 resolvers kubernetes init-addr none

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

                """.formatted(tier.port("port"), tier.port("read_port"), tier.port("stats_port")));
        String primaryHost =
                "%s.%s.svc.%s:%d".formatted(mariadbPrimaryService(), options.namespace(), domain, primary.mainPort());
        cfg.append("backend mariadb_primary\n");
        cfg.append("    server primary %s check\n".formatted(primaryHost));
        cfg.append("\nbackend mariadb_replicas\n    balance roundrobin\n");
        int replicaPort = mariadb.stream()
                .filter(instance -> !MariaDbKind.isPrimary(instance))
                .findFirst()
                .map(Instance::mainPort)
                .orElse(primary.mainPort());
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            cfg.append("    server replica-%d %s-%d.%s-peer.%s.svc.%s:%d check\n"
                    .formatted(ordinal, replicaTier, ordinal, replicaTier, options.namespace(), domain, replicaPort));
        }
        cfg.append("    server primary %s check backup\n".formatted(primaryHost));
        return cfg.toString();
    }

    private String pdClientService() {
        return options.clusterName() + "-pd";
    }

    private int pdClientPort() {
        return topology.instances("pd").getFirst().port("client_port");
    }

    private String pdClientUrl() {
        return "http://%s:%d".formatted(names.serviceHost(pdClientService()), pdClientPort());
    }

    private ConfigMap tomlConfig(Tier tier, String file) {
        String content = tier.kind().configFiles(context(tier.first())).get("conf/" + file);
        // The catalog names the one host instance it wrote the file for; here every pod shares it.
        String body = content.startsWith("# ") ? content.substring(content.indexOf('\n') + 1) : content;
        return new ConfigMapBuilder()
                .withMetadata(names.meta(names.workload(tier) + "-config", tier))
                .withData(Map.of(
                        file,
                        "# Written by Flotilla for the %s pods of %s.\n".formatted(tier.name(), options.clusterName())
                                + body))
                .build();
    }

    private InstanceContext context(Instance instance) {
        return new InstanceContext(options.clusterName(), topology, instance, NO_AGENT_DIR, "root");
    }

    private ContainerBuilder container(Tier tier, List<ContainerPort> ports) {
        int mainPort = tier.first().mainPort();
        ContainerBuilder builder = new ContainerBuilder()
                .withName(tier.component())
                .withImage(image(tier.component()))
                .withImagePullPolicy("IfNotPresent")
                .withPorts(ports)
                .withEnv(new EnvVarBuilder()
                        .withName("POD_NAME")
                        .withNewValueFrom()
                        .withNewFieldRef()
                        .withFieldPath("metadata.name")
                        .endFieldRef()
                        .endValueFrom()
                        .build())
                .withLivenessProbe(ProbeMapping.liveness(
                        mainPort, tier.kind().readyTimeout().toSeconds()));
        ProbeMapping.readiness(tier.kind().readiness(context(tier.first()))).ifPresent(builder::withReadinessProbe);
        Optional.ofNullable(resources.get(tier.name())).ifPresent(builder::withResources);
        return builder;
    }

    private EnvVar secretEnv(String name, String key) {
        return new EnvVarBuilder()
                .withName(name)
                .withNewValueFrom()
                .withNewSecretKeyRef()
                .withName(options.secretName())
                .withKey(key)
                .endSecretKeyRef()
                .endValueFrom()
                .build();
    }

    private static ContainerPort port(String name, int port) {
        return new ContainerPortBuilder()
                .withName(name)
                .withContainerPort(port)
                .withProtocol("TCP")
                .build();
    }

    private static ServicePort servicePort(String name, int port) {
        return new ServicePortBuilder()
                .withName(name)
                .withPort(port)
                .withTargetPort(new IntOrString(name))
                .withProtocol("TCP")
                .build();
    }

    private static VolumeMount mount(String volume, String path) {
        return new VolumeMountBuilder().withName(volume).withMountPath(path).build();
    }

    private static VolumeMount subPathMount(String volume, String path, String key) {
        return new VolumeMountBuilder()
                .withName(volume)
                .withMountPath(path)
                .withSubPath(key)
                .build();
    }

    private Volume configVolume(Tier tier) {
        return new VolumeBuilder()
                .withName("config")
                .withNewConfigMap()
                .withName(names.workload(tier) + "-config")
                .endConfigMap()
                .build();
    }

    /** Peers resolve each other before they are ready: PD needs its quorum to become ready at all. */
    private Service headless(Tier tier, List<ServicePort> ports) {
        return new ServiceBuilder()
                .withMetadata(names.meta(names.peerService(tier), tier))
                .withNewSpec()
                .withClusterIP("None")
                .withPublishNotReadyAddresses(true)
                .withSelector(names.selector(tier.name()))
                .withPorts(ports)
                .endSpec()
                .build();
    }

    private Service service(Tier tier, String name, List<ServicePort> ports) {
        boolean nodePort = options.nodePortComponents().contains(tier.component());
        return new ServiceBuilder()
                .withMetadata(names.meta(name, tier))
                .withNewSpec()
                .withType(nodePort ? "NodePort" : "ClusterIP")
                .withSelector(names.selector(tier.name()))
                .withPorts(ports)
                .endSpec()
                .build();
    }

    /**
     * A node drain evicts one pod of a stateful tier at a time, so Raft keeps its quorum and a
     * MariaDB tier keeps a replica.
     */
    private Optional<PodDisruptionBudget> disruptionBudget(Tier tier) {
        if (tier.replicas() < 2) {
            return Optional.empty();
        }
        return Optional.of(new PodDisruptionBudgetBuilder()
                .withMetadata(names.meta(names.workload(tier), tier))
                .withNewSpec()
                .withMaxUnavailable(new IntOrString(1))
                .withNewSelector()
                .withMatchLabels(names.selector(tier.name()))
                .endSelector()
                .endSpec()
                .build());
    }

    /** Pods of a stateful tier prefer different nodes: three TiKV replicas on one node are one failure away from loss. */
    private Affinity spreadOverNodes(Tier tier) {
        return new AffinityBuilder()
                .withNewPodAntiAffinity()
                .addNewPreferredDuringSchedulingIgnoredDuringExecution()
                .withWeight(100)
                .withNewPodAffinityTerm()
                .withTopologyKey("kubernetes.io/hostname")
                .withNewLabelSelector()
                .withMatchLabels(names.selector(tier.name()))
                .endLabelSelector()
                .endPodAffinityTerm()
                .endPreferredDuringSchedulingIgnoredDuringExecution()
                .endPodAntiAffinity()
                .build();
    }

    private PodTemplateSpec podTemplate(Tier tier, Container container, Volume... volumes) {
        PodSpec spec = new PodSpecBuilder()
                .withAffinity(tier.kind().schema().stateful() ? spreadOverNodes(tier) : null)
                .withContainers(container)
                .withVolumes(volumes)
                .withTerminationGracePeriodSeconds((long) tier.kind().stopTimeoutSeconds())
                .build();
        return new PodTemplateSpecBuilder()
                .withNewMetadata()
                .withLabels(names.labels(tier.component(), tier.name()))
                .endMetadata()
                .withSpec(spec)
                .build();
    }

    /**
     * Pods start side by side ({@code Parallel}): a PD member is not ready until a quorum is up,
     * so starting them one by one would wait forever for the first.
     */
    private StatefulSet statefulSet(Tier tier, String serviceName, Container container, Volume config) {
        PersistentVolumeClaim data = new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("data")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName(options.storageClass().orElse(null))
                .withNewResources()
                .withRequests(Map.of("storage", new Quantity(options.storageSize(tier.component()))))
                .endResources()
                .endSpec()
                .build();
        return new StatefulSetBuilder()
                .withMetadata(names.meta(names.workload(tier), tier))
                .withNewSpec()
                .withServiceName(serviceName)
                .withReplicas(tier.replicas())
                .withPodManagementPolicy("Parallel")
                .withNewSelector()
                .withMatchLabels(names.selector(tier.name()))
                .endSelector()
                .withTemplate(podTemplate(tier, container, config))
                .withVolumeClaimTemplates(data)
                .endSpec()
                .build();
    }

    /**
     * The Deployment, and its HorizontalPodAutoscaler when the tier is autoscaled. An autoscaled
     * Deployment leaves its replica count to the autoscaler, so a re-apply does not undo its work.
     */
    private List<HasMetadata> deployment(Tier tier, Container container, Volume config) {
        Autoscale entry = autoscale.get(tier.component());
        Deployment deployment = new DeploymentBuilder()
                .withMetadata(names.meta(names.workload(tier), tier))
                .withNewSpec()
                .withReplicas(entry == null ? tier.replicas() : null)
                .withNewSelector()
                .withMatchLabels(names.selector(tier.name()))
                .endSelector()
                .withTemplate(podTemplate(tier, container, config))
                .endSpec()
                .build();
        return entry == null ? List.of(deployment) : List.of(deployment, horizontalPodAutoscaler(tier, entry));
    }

    private HorizontalPodAutoscaler horizontalPodAutoscaler(Tier tier, Autoscale entry) {
        return new HorizontalPodAutoscalerBuilder()
                .withMetadata(names.meta(names.workload(tier), tier))
                .withNewSpec()
                .withNewScaleTargetRef()
                .withApiVersion("apps/v1")
                .withKind("Deployment")
                .withName(names.workload(tier))
                .endScaleTargetRef()
                .withMinReplicas(entry.minReplicas())
                .withMaxReplicas(entry.maxReplicas())
                .addNewMetric()
                .withType("Resource")
                .withNewResource()
                .withName("cpu")
                .withNewTarget()
                .withType("Utilization")
                .withAverageUtilization(entry.targetCpuUtilization())
                .endTarget()
                .endResource()
                .endMetric()
                .endSpec()
                .build();
    }
}
