package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.AgentInfo;
import io.flotilla.agent.api.ConfigItem;
import io.flotilla.agent.api.HostItem;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.LogEntry;
import io.flotilla.agent.api.LogQuery;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.RestartPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host load, hardware, system info, log search and config of a non-SQL instance, through AgentClient. */
class HostAndLogApiTest {
    private static final String TOKEN = "test-token-9a7e";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private Supervisor supervisor;
    private AgentServer server;
    private AgentClient client;
    private String address;

    @BeforeEach
    void startServer() throws IOException {
        supervisor = Supervisor.open(dir.resolve("agent"), RestartPolicy.DEFAULT);
        server = AgentServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                TestingTls.server(),
                TOKEN,
                supervisor,
                new ProbeRunner(),
                new AgentInfo(ProcessHandle.current().pid(), "test", Instant.now(), "host1", dir.toString()),
                () -> {});
        address = "127.0.0.1:" + server.address().getPort();
        client = new AgentClient(URI.create("https://" + address), TOKEN, TestingTls.client(), TIMEOUT);
    }

    @AfterEach
    void stopServer() {
        client.close();
        server.close();
        supervisor.close();
    }

    @Test
    void loadIsAnsweredFromTheLastSampleWithRatesFromTheSecond() {
        assertThat(client.load())
                .extracting(HostItem::type, HostItem::device, HostItem::name)
                .contains(
                        tuple("cpu", "cpu", "load1"),
                        tuple("cpu", "cpu", "load5"),
                        tuple("cpu", "cpu", "load15"),
                        tuple("memory", "virtual", "total"),
                        tuple("memory", "virtual", "used"),
                        tuple("memory", "virtual", "free"));
        assertEventually(
                Duration.ofSeconds(5),
                () -> assertThat(client.load())
                        .extracting(HostItem::type, HostItem::device, HostItem::name)
                        .contains(
                                tuple("cpu", "cpu", "usage"),
                                tuple("net", "lo", "rx-bytes/s"),
                                tuple("net", "lo", "tx-packets/s")));
        long started = System.nanoTime();
        client.load();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(500));
        String total = client.load().stream()
                .filter(item -> item.name().equals("total"))
                .findFirst()
                .orElseThrow()
                .value();
        assertThat(Long.parseLong(total)).isGreaterThan(100L * 1024 * 1024);
    }

    @Test
    void hardwareAndSystemInfoComeFromProcAndSys() throws IOException {
        List<HostItem> hardware = client.hardware();
        assertThat(hardware)
                .filteredOn(item -> item.name().equals("cpu-logical-cores"))
                .extracting(HostItem::value)
                .containsExactly(Integer.toString(Runtime.getRuntime().availableProcessors()));
        assertThat(hardware)
                .extracting(HostItem::type, HostItem::device, HostItem::name)
                .contains(
                        tuple("cpu", "cpu", "cpu-model"),
                        tuple("memory", "memory", "capacity"),
                        tuple("disk", "/", "total"),
                        tuple("disk", "/", "free"),
                        tuple("disk", "/", "used"),
                        tuple("net", "lo", "mtu"));
        List<HostItem> system = client.systemInfo();
        assertThat(system)
                .filteredOn(item -> item.name().equals("net.core.somaxconn"))
                .extracting(HostItem::value)
                .containsExactly(procValue("net/core/somaxconn"));
        // A numeric sysctl is whole, not its first byte: pid_max is at least the kernel's minimum of 301.
        assertThat(system)
                .filteredOn(item -> item.name().equals("kernel.pid_max"))
                .extracting(item -> Integer.parseInt(item.value()))
                .containsExactly(Integer.parseInt(procValue("kernel/pid_max")))
                .allSatisfy(pidMax -> assertThat(pidMax).isGreaterThanOrEqualTo(301));
        assertThat(system)
                .extracting(HostItem::type, HostItem::device, HostItem::name)
                .contains(
                        tuple("process", "limits", "max-open-files-soft"),
                        tuple("process", "limits", "max-open-files-hard"),
                        tuple("system", "kernel", "release"));
    }

    @Test
    void logSearchReadsEachComponentsFormatInTimeOrder() throws IOException {
        ZoneId zone = ZoneId.systemDefault();
        LocalDateTime base = LocalDateTime.now(zone).withNano(0).minusMinutes(30);
        String mariadbLog = String.join(
                "\n",
                "%s 0 [Note] Starting MariaDB 10.11.19".formatted(mariadbTime(base)),
                "%s 0 [Warning] You need to use --log-bin".formatted(mariadbTime(base.plusSeconds(2))),
                "%s 0 [ERROR] Can't open the mysql.plugin table".formatted(mariadbTime(base.plusSeconds(4))),
                "a continuation without a time",
                "%s 0 [Note] /usr/sbin/mariadbd: ready for connections.".formatted(mariadbTime(base.plusSeconds(6))),
                "");
        Path mariadb = Files.createDirectories(dir.resolve("m"));
        Files.writeString(mariadb.resolve("mariadb.log"), mariadbLog);
        Instant etcdTime = base.plusSeconds(3).atZone(zone).toInstant();
        Path etcd = Files.createDirectories(dir.resolve("e"));
        Files.writeString(etcd.resolve("etcd.log"), """
                {"level":"info","ts":"%s","caller":"embed/etcd.go:1","msg":"serving client traffic"}
                {"level":"warn","ts":"%s","msg":"slow fdatasync"}
                """.formatted(etcdTime, etcdTime.plusSeconds(2)));
        Path prometheus = Files.createDirectories(dir.resolve("p"));
        Files.writeString(
                prometheus.resolve("prometheus.log"),
                "time=%s level=ERROR source=main.go:1 msg=\"scrape failed\" target=x\n"
                        .formatted(base.plusSeconds(1).atZone(zone).toInstant()));
        supervisor.put(spec("127.0.0.1:3306", "mariadb", mariadb, "mariadb.log"));
        supervisor.put(spec("127.0.0.1:2379", "etcd", etcd, "etcd.log"));
        supervisor.put(spec("127.0.0.1:9090", "prometheus", prometheus, "prometheus.log"));
        Instant start = base.minusMinutes(1).atZone(zone).toInstant();
        Instant end = base.plusMinutes(1).atZone(zone).toInstant();

        List<LogEntry> all = client.logs(new LogQuery(start, end, List.of(), "", List.of(), 100));

        assertThat(all)
                .extracting(LogEntry::instance, LogEntry::level, LogEntry::message)
                .containsExactly(
                        tuple("127.0.0.1:3306", "INFO", "Starting MariaDB 10.11.19"),
                        tuple("127.0.0.1:9090", "ERROR", "scrape failed"),
                        tuple("127.0.0.1:3306", "WARN", "You need to use --log-bin"),
                        tuple("127.0.0.1:2379", "INFO", "serving client traffic"),
                        tuple(
                                "127.0.0.1:3306",
                                "ERROR",
                                "Can't open the mysql.plugin table\na continuation without a time"),
                        tuple("127.0.0.1:2379", "WARN", "slow fdatasync"),
                        tuple("127.0.0.1:3306", "INFO", "/usr/sbin/mariadbd: ready for connections."));
        assertThat(all.getFirst().time()).isEqualTo(base.atZone(zone).toInstant());

        assertThat(client.logs(new LogQuery(start, end, List.of("ERROR", "warn"), "", List.of("127.0.0.1:3306"), 100)))
                .extracting(LogEntry::level)
                .containsExactly("WARN", "ERROR");
        assertThat(client.logs(new LogQuery(start, end, List.of(), "ready for conn", List.of(), 100)))
                .extracting(LogEntry::component)
                .containsExactly("mariadb");
        assertThat(client.logs(new LogQuery(
                        base.plusSeconds(3).atZone(zone).toInstant(),
                        base.plusSeconds(4).atZone(zone).toInstant(),
                        List.of(),
                        "",
                        List.of(),
                        100)))
                .extracting(LogEntry::message)
                .containsExactly(
                        "serving client traffic", "Can't open the mysql.plugin table\na continuation without a time");
        assertThat(client.logs(new LogQuery(start, end, List.of(), "", List.of(), 2)))
                .hasSize(2);

        assertThatThrownBy(() -> client.logs(new LogQuery(start, end, List.of(), "([a-z", List.of(), 10)))
                .isInstanceOf(AgentException.class)
                .hasMessage("agent %s: message pattern ([a-z is not a regular expression: Unclosed character class"
                        .formatted(address))
                .extracting(e -> ((AgentException) e).code())
                .isEqualTo(Code.BAD_REQUEST);
    }

    private static String mariadbTime(LocalDateTime time) {
        // MariaDB pads the hour with a space: "2026-11-22  1:02:03".
        return "%s %2d:%02d:%02d".formatted(time.toLocalDate(), time.getHour(), time.getMinute(), time.getSecond());
    }

    @Test
    void aComponentWithoutSqlShowsItsFlagsAndRefusesChanges() {
        supervisor.put(new InstanceSpec(
                "127.0.0.1:2379",
                "etcd",
                List.of("/usr/bin/etcd", "--name", "e1", "--data-dir=/srv/etcd", "--auto-compaction-retention=1"),
                Map.of(),
                dir.toString(),
                "etcd.log",
                new Probe.PortOpen("127.0.0.1", 2379),
                5,
                List.of(2379),
                List.of(),
                "etcd-server",
                List.of(),
                null));

        assertThat(client.config("127.0.0.1:2379"))
                .containsExactly(
                        new ConfigItem("name", "e1"),
                        new ConfigItem("data-dir", "/srv/etcd"),
                        new ConfigItem("auto-compaction-retention", "1"));
        assertThatThrownBy(() -> client.setConfig("127.0.0.1:2379", "auto-compaction-retention", "2"))
                .isInstanceOf(AgentException.class)
                .hasMessage(
                        "agent %s: etcd 127.0.0.1:2379 does not change settings while it runs; change it in the topology and run `flotilla cluster reload`"
                                .formatted(address))
                .extracting(e -> ((AgentException) e).code())
                .isEqualTo(Code.REFUSED);
    }

    @Test
    void everyNewRouteNeedsTheToken() throws Exception {
        try (HttpClient http = TestingTls.http()) {
            for (String path : List.of(
                    "/v1/host/load",
                    "/v1/host/hardware",
                    "/v1/host/system",
                    "/v1/instances/x/config",
                    "/v1/instances/x/sessions",
                    "/v1/instances/x/replication",
                    "/v1/instances/x/details",
                    "/v1/instances/x/slow-queries")) {
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(URI.create("https://" + address + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(path).isEqualTo(401);
            }
            HttpResponse<String> logs = http.send(
                    HttpRequest.newBuilder(URI.create("https://" + address + "/v1/logs"))
                            .header("Authorization", "Bearer wrong")
                            .POST(HttpRequest.BodyPublishers.ofString("{}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(logs.statusCode()).isEqualTo(401);
        }
    }

    @Test
    void aSpecStoredBeforeLogSearchIsStillRead() throws IOException {
        Path instances = Files.createDirectories(dir.resolve("old/instances"));
        Files.writeString(instances.resolve("old.json"), """
                {"spec":{"id":"127.0.0.1:1","component":"test","command":["sleep","1"],"environment":{},
                 "workDir":"/tmp","logFile":"x.log","probe":{"type":"portOpen","host":"127.0.0.1","port":1},
                 "stopTimeoutSeconds":5,"ports":[1],"dataDirs":[],"binaryPackage":""},"run":false}
                """);
        try (Supervisor old = Supervisor.open(dir.resolve("old"), RestartPolicy.DEFAULT)) {
            InstanceSpec spec = old.spec("127.0.0.1:1");
            assertThat(spec.logFiles()).isEmpty();
            assertThat(spec.sql()).isNull();
            assertThat(spec.allLogFiles()).containsExactly("x.log");
        }
    }

    private static InstanceSpec spec(String id, String component, Path work, String log) {
        return new InstanceSpec(
                id,
                component,
                List.of("sleep", "300"),
                Map.of(),
                work.toString(),
                log,
                new Probe.PortOpen("127.0.0.1", 1),
                5,
                List.of(),
                List.of(),
                "",
                List.of(),
                null);
    }

    /** A /proc/sys value as `cat` shows it (read as a stream: these files report size 0). */
    private static String procValue(String name) throws IOException {
        try (var in = Files.newInputStream(Path.of("/proc/sys", name))) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        }
    }
}
