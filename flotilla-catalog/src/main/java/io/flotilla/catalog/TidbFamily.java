package io.flotilla.catalog;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.ComponentSchema;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Schemas;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The TiDB family as TiUP runs it: the same flags, the same start order
 * (pd, tiproxy, tikv, pump, tidb, tiflash, drainer, cdc), and real readiness probes instead of
 * "the port is listening".
 */
final class TidbFamily {
    private TidbFamily() {}

    static List<ComponentKind> kinds() {
        return List.of(
                pd(),
                tso(),
                scheduling(),
                tiproxy(),
                tikv(),
                pump(),
                tidb(),
                tiflash(),
                drainer(),
                cdc(),
                kvcdc(),
                dashboard(),
                grafana());
    }

    static String pdName(Instance pd) {
        return pd.field("name").orElse("pd-%s-%d".formatted(pd.host(), pd.mainPort()));
    }

    private static String pdEndpoints(InstanceContext context) {
        return context.topology().instances("pd").stream()
                .map(pd -> pd.address("client_port"))
                .collect(Collectors.joining(","));
    }

    private static Probe.HttpOk http(InstanceContext context, String portField, String path, String body) {
        return new Probe.HttpOk(context.localUrl(portField, path), body);
    }

    private static ComponentKind pd() {
        return new DescribedKind(
                Schemas.PD,
                "pd-server",
                Set.of(),
                Duration.ofSeconds(120),
                "pd.toml",
                context -> {
                    Instance instance = context.instance();
                    String initialCluster = context.topology().instances("pd").stream()
                            .map(pd -> "%s=http://%s".formatted(pdName(pd), pd.address("peer_port")))
                            .collect(Collectors.joining(","));
                    return List.of(
                            "--name=" + pdName(instance),
                            "--client-urls=http://" + context.listen("client_port"),
                            "--advertise-client-urls=http://" + context.address("client_port"),
                            "--peer-urls=http://" + context.listen("peer_port"),
                            "--advertise-peer-urls=http://" + context.address("peer_port"),
                            "--data-dir=" + context.dataDir(),
                            "--initial-cluster=" + initialCluster,
                            "--config=" + context.confFile("pd.toml"),
                            "--log-file=" + context.logDir().resolve("pd.log"));
                },
                context -> http(context, "client_port", "/pd/api/v1/health", "\"health\": true"),
                Optional.of(TidbPods.pd()));
    }

    private static ComponentKind tso() {
        return microservice(Schemas.TSO, "tso");
    }

    private static ComponentKind scheduling() {
        return microservice(Schemas.SCHEDULING, "scheduling");
    }

    private static ComponentKind microservice(ComponentSchema schema, String service) {
        return new DescribedKind(
                schema,
                "pd-server",
                Set.of("pd"),
                Duration.ofSeconds(120),
                service + ".toml",
                context -> List.of(
                        "services",
                        service,
                        "--listen-addr=http://" + context.listen("port"),
                        "--advertise-listen-addr=http://" + context.address("port"),
                        "--backend-endpoints=" + pdEndpoints(context),
                        "--data-dir=" + context.dataDir(),
                        "--config=" + context.confFile(service + ".toml"),
                        "--log-file=" + context.logDir().resolve(service + ".log")),
                context -> http(context, "port", "/health", ""),
                Optional.empty());
    }

    private static ComponentKind tiproxy() {
        return new DescribedKind(
                Schemas.TIPROXY,
                "tiproxy",
                Set.of("pd"),
                Duration.ofSeconds(60),
                "tiproxy.toml",
                context -> List.of("--config=" + context.confFile("tiproxy.toml")),
                context -> http(context, "status_port", "/api/debug/health", ""),
                Optional.empty());
    }

    private static ComponentKind tikv() {
        return new DescribedKind(
                Schemas.TIKV,
                "tikv-server",
                Set.of("pd"),
                Duration.ofSeconds(300),
                "tikv.toml",
                context -> List.of(
                        "--addr", context.listen("port"),
                        "--advertise-addr", context.address("port"),
                        "--status-addr", context.listen("status_port"),
                        "--advertise-status-addr", context.address("status_port"),
                        "--pd", pdEndpoints(context),
                        "--data-dir", context.dataDir().toString(),
                        "--config", context.confFile("tikv.toml").toString(),
                        "--log-file", context.logDir().resolve("tikv.log").toString()),
                context -> http(context, "status_port", "/status", ""),
                Optional.of(TidbPods.tikv()));
    }

    private static ComponentKind pump() {
        return new DescribedKind(
                Schemas.PUMP,
                "pump",
                Set.of("pd", "tikv"),
                Duration.ofSeconds(60),
                "pump.toml",
                context -> List.of(
                        "--node-id=" + context.address("port"),
                        "--addr=" + context.listen("port"),
                        "--advertise-addr=" + context.address("port"),
                        "--pd-urls=" + urls(pdEndpoints(context)),
                        "--data-dir=" + context.dataDir(),
                        "--log-file=" + context.logDir().resolve("pump.log"),
                        "--config=" + context.confFile("pump.toml")),
                context -> http(context, "port", "/status", ""),
                Optional.empty());
    }

    private static ComponentKind tidb() {
        return new DescribedKind(
                Schemas.TIDB,
                "tidb-server",
                Set.of("pd", "tikv", "pump"),
                Duration.ofSeconds(120),
                "tidb.toml",
                context -> List.of(
                        "-P",
                        String.valueOf(context.instance().port("port")),
                        "--status=" + context.instance().port("status_port"),
                        "--host=" + context.instance().listenHost(),
                        "--advertise-address=" + context.instance().host(),
                        "--store=tikv",
                        "--path=" + pdEndpoints(context),
                        "--log-slow-query=" + context.logDir().resolve("tidb_slow_query.log"),
                        "--config=" + context.confFile("tidb.toml"),
                        "--log-file=" + context.logDir().resolve("tidb.log")),
                context -> Probe.allOf(
                        http(context, "status_port", "/status", ""),
                        new Probe.SqlPing(
                                context.connectHost(),
                                context.instance().port("port"),
                                "root",
                                context.rootPasswordFile().toString())),
                Optional.of(TidbPods.tidb()));
    }

    private static ComponentKind tiflash() {
        return new DescribedKind(
                Schemas.TIFLASH,
                "tiflash",
                Set.of("pd", "tikv", "tidb"),
                Duration.ofSeconds(300),
                "tiflash.toml",
                context -> List.of(
                        "server",
                        "--config-file",
                        context.confFile("tiflash.toml").toString()),
                context -> http(context, "flash_proxy_status_port", "/tiflash/store-status", "Running"),
                Optional.empty());
    }

    private static ComponentKind drainer() {
        return new DescribedKind(
                Schemas.DRAINER,
                "drainer",
                Set.of("pump", "tidb"),
                Duration.ofSeconds(60),
                "drainer.toml",
                context -> List.of(
                        "--node-id=" + context.address("port"),
                        "--addr=" + context.address("port"),
                        "--pd-urls=" + urls(pdEndpoints(context)),
                        "--data-dir=" + context.dataDir(),
                        "--log-file=" + context.logDir().resolve("drainer.log"),
                        "--config=" + context.confFile("drainer.toml")),
                context -> http(context, "port", "/status", ""),
                Optional.empty());
    }

    private static ComponentKind cdc() {
        return capture(Schemas.CDC, "cdc");
    }

    private static ComponentKind kvcdc() {
        return capture(Schemas.KVCDC, "tikv-cdc");
    }

    /** TiCDC and TiKV-CDC run the same capture server, each from its own binary, config and log file. */
    private static ComponentKind capture(ComponentSchema schema, String binaryName) {
        return new DescribedKind(
                schema,
                binaryName,
                Set.of("pd", "tikv"),
                Duration.ofSeconds(60),
                binaryName + ".toml",
                context -> List.of(
                        "server",
                        "--addr=" + context.listen("port"),
                        "--advertise-addr=" + context.address("port"),
                        "--pd=" + urls(pdEndpoints(context)),
                        "--data-dir=" + context.dataDir(),
                        "--config=" + context.confFile(binaryName + ".toml"),
                        "--log-file=" + context.logDir().resolve(binaryName + ".log")),
                context -> http(context, "port", "/status", ""),
                Optional.empty());
    }

    private static ComponentKind dashboard() {
        return new DescribedKind(
                Schemas.TIDB_DASHBOARD,
                "tidb-dashboard",
                Set.of("pd"),
                Duration.ofSeconds(60),
                "",
                context -> List.of(
                        "--feature-version="
                                + context.topology().componentVersions().getOrDefault("tidb", ""),
                        "--host=" + context.instance().listenHost(),
                        "--port=" + context.instance().port("port"),
                        "--pd=" + urls(pdEndpoints(context)),
                        "--data-dir=" + context.dataDir()),
                context -> http(context, "port", "/dashboard/", ""),
                Optional.empty());
    }

    private static ComponentKind grafana() {
        return new DescribedKind(
                Schemas.GRAFANA,
                "grafana-server",
                Set.of("prometheus"),
                Duration.ofSeconds(60),
                "",
                context -> List.of("--homepath=" + context.deployDir(), "--config=" + context.confFile("grafana.ini")),
                context -> http(context, "port", "/api/health", ""),
                Optional.empty());
    }

    private static String urls(String endpoints) {
        return List.of(endpoints.split(",")).stream()
                .map(endpoint -> "http://" + endpoint)
                .collect(Collectors.joining(","));
    }
}
