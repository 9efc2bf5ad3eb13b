package io.flotilla.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.step.OperationException;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files the catalog renders are checked by the engines' own tools: haproxy -c, promtool, amtool, my_print_defaults. */
class RenderedFilesTest {
    @TempDir
    Path root;

    private Topology topology() {
        return TopologyParser.parse("""
                global:
                  user: root
                  deploy_dir: %s/deploy
                  data_dir: %s/data
                server_configs:
                  mariadb:
                    max_connections: 321
                mariadb_servers:
                  - { host: 127.0.0.1, role: primary }
                  - { host: 127.0.0.1, port: 3307, role: replica, config: { max_connections: 99 } }
                haproxy_servers: [ { host: 127.0.0.1 } ]
                monitoring_servers: [ { host: 127.0.0.1 } ]
                alertmanager_servers: [ { host: 127.0.0.1 } ]
                """.formatted(root, root), "t.yaml");
    }

    private Path render(Topology topology, Instance instance, String file) throws Exception {
        InstanceContext context =
                new InstanceContext("c1", topology, instance, root.resolve("agent"), "root", Map.of("127.0.0.1", 9761));
        Map<String, String> files = Catalog.standard().kind(instance).configFiles(context);
        Path target =
                root.resolve(instance.component() + "-" + instance.mainPort()).resolve(file);
        Files.createDirectories(target.getParent());
        Files.writeString(target, files.get(file));
        return target;
    }

    @Test
    void haproxyAcceptsItsConfig() throws Exception {
        Topology topology = topology();
        Path cfg = render(topology, topology.instances("haproxy").getFirst(), "conf/haproxy.cfg");
        Files.createDirectories(root.resolve("deploy/haproxy-4000/run"));
        assertThat(Files.readString(cfg))
                .contains("server 127.0.0.1_3306 127.0.0.1:3306 check\n")
                .contains("server 127.0.0.1_3307 127.0.0.1:3307 check agent-check agent-addr 127.0.0.1 agent-port 9761 "
                        + "agent-send \"127.0.0.1:3307\\n\" agent-inter 1s\n")
                .contains("server 127.0.0.1_3306 127.0.0.1:3306 check backup\n");
        assertThat(run("haproxy", "-c", "-f", cfg.toString())).contains("Configuration file is valid");
    }

    @Test
    void whatAnswersAnyoneListensOnTheAddressItsHostIsNamedBy() {
        Topology topology = topology();
        Map<String, List<String>> listens = new java.util.TreeMap<>();
        for (Instance instance : topology.instances()) {
            InstanceContext context = new InstanceContext(
                    "c1", topology, instance, root.resolve("agent"), "root", Map.of("127.0.0.1", 9761));
            listens.put(
                    instance.id() + " " + instance.component(),
                    Catalog.standard().kind(instance).commandLine(context).stream()
                            .filter(argument -> argument.contains("listen-address="))
                            .toList());
        }
        assertThat(listens)
                .containsEntry("127.0.0.1:9100 node_exporter", List.of("--web.listen-address=127.0.0.1:9100"))
                .containsEntry("127.0.0.1:9115 blackbox_exporter", List.of("--web.listen-address=127.0.0.1:9115"))
                .containsEntry("127.0.0.1:9090 prometheus", List.of("--web.listen-address=127.0.0.1:9090"))
                .containsEntry(
                        "127.0.0.1:9093 alertmanager",
                        List.of("--web.listen-address=127.0.0.1:9093", "--cluster.listen-address=127.0.0.1:9094"));
    }

    @Test
    void prometheusAndAlertmanagerAcceptTheirConfigs() throws Exception {
        Topology topology = topology();
        Path prometheus = render(topology, topology.instances("prometheus").getFirst(), "conf/prometheus.yml");
        assertThat(Files.readString(prometheus))
                .contains("job_name: 'node_exporter'")
                .contains("targets: ['127.0.0.1:9100']")
                .contains("job_name: 'haproxy'")
                .contains("targets: ['127.0.0.1:8404']");
        assertThat(run("promtool", "check", "config", prometheus.toString())).contains("SUCCESS");
        Path alertmanager = render(topology, topology.instances("alertmanager").getFirst(), "conf/alertmanager.yml");
        assertThat(run("amtool", "check-config", alertmanager.toString())).contains("SUCCESS");
    }

    @Test
    void valuesWithCommentsQuotesBackslashesAndSpacesReadBackAsWritten() throws Exception {
        Path odd = Files.createDirectories(root.resolve("odd #1 it's \"q\" back\\slash"));
        String initConnect = "SET @note = '# not a comment', @q = \"x\", @b = 'back\\slash'";
        Topology topology = TopologyParser.parse(
                """
                global:
                  user: root
                  deploy_dir: '%s/deploy'
                  data_dir: '%s/data'
                server_configs:
                  mariadb:
                    init_connect: '%s'
                    ft_stopword_file: '  padded  '
                mariadb_servers:
                  - { host: 127.0.0.1, role: primary }
                haproxy_servers: [ { host: 127.0.0.1 } ]
                """.formatted(yamlQuoted(odd), yamlQuoted(odd), yamlQuoted(initConnect)), "t.yaml");
        Path cnf = render(topology, topology.instances("mariadb").getFirst(), "conf/my.cnf");
        assertThat(run("my_print_defaults", "--defaults-file=" + cnf, "mariadbd"))
                .contains("--init_connect=" + initConnect + "\n")
                .contains("--ft_stopword_file=  padded  \n")
                .contains("--datadir=" + odd + "/data/mariadb-3306\n")
                .contains("--slow_query_log_file=" + odd + "/deploy/mariadb-3306/log/mariadb-slow.log\n");
        assertThat(run("my_print_defaults", "--defaults-file=" + cnf, "client"))
                .isEqualTo("--socket=" + odd + "/deploy/mariadb-3306/run/mariadb.sock\n");

        Path cfg = render(topology, topology.instances("haproxy").getFirst(), "conf/haproxy.cfg");
        Files.createDirectories(odd.resolve("deploy/haproxy-4000/run"));
        assertThat(run("haproxy", "-c", "-f", cfg.toString())).contains("Configuration file is valid");
        String socket = odd + "/deploy/haproxy-4000/run/haproxy.sock";
        assertThat(Files.readString(cfg)).contains("stats socket " + HaproxyKind.word(socket) + " mode 600");
        // HAProxy prints a .notice's word as it read it: the socket's word reads back as the path.
        Path echo = root.resolve("echo.cfg");
        Files.writeString(echo, ".notice " + HaproxyKind.word(socket) + "\n" + Files.readString(cfg));
        assertThat(run("haproxy", "-c", "-f", echo.toString())).contains("]: '" + socket + "'.");
    }

    @Test
    void aStoredLineBreakIsRefusedNamingTheInstanceAndSetting() {
        // A topology an older Flotilla stored is read leniently; its my.cnf still cannot hold a line break.
        Topology topology = TopologyParser.parseStored("""
                global: { user: root, deploy_dir: '%s/deploy', data_dir: '%s/data' }
                mariadb_servers:
                  - { host: 127.0.0.1, role: primary, config: { init_connect: "SET @a = 1\\nSET @b = 2" } }
                """.formatted(root, root), "meta.yaml");
        assertThatThrownBy(() -> render(topology, topology.instances("mariadb").getFirst(), "conf/my.cnf"))
                .isInstanceOf(OperationException.class)
                .hasMessage("mariadb 127.0.0.1:3306: the value of 'init_connect' holds a line break, which my.cnf"
                        + " cannot hold; write it on one line in the topology");
    }

    /** A value inside single quotes in YAML: a single quote is written twice. */
    private static String yamlQuoted(Object value) {
        return value.toString().replace("'", "''");
    }

    private Topology haTopology() {
        return TopologyParser.parse("""
                global:
                  user: root
                  deploy_dir: %s/deploy
                  data_dir: %s/data
                ha: { enabled: true, ttl: 5s }
                etcd_servers: [ { host: 127.0.0.1 } ]
                mariadb_servers:
                  - { host: 127.0.0.1, role: primary }
                  - { host: 127.0.0.1, port: 3307, role: replica, ha: { priority: 5 } }
                  - { host: 127.0.0.1, port: 3308, role: replica, ha: { no_promotion: true } }
                haproxy_servers: [ { host: 127.0.0.1 } ]
                """.formatted(root, root), "t.yaml");
    }

    @Test
    void withHaEveryMariadbIsInTheWritePoolWhichItsAgentsCheckDecides() throws Exception {
        Topology topology = haTopology();
        Path cfg = render(topology, topology.instances("haproxy").getFirst(), "conf/haproxy.cfg");
        Files.createDirectories(root.resolve("deploy/haproxy-4000/run"));
        String text = Files.readString(cfg);
        for (int port : List.of(3306, 3307, 3308)) {
            assertThat(text)
                    .contains(("server 127.0.0.1_%d 127.0.0.1:%d check port 9761 agent-check agent-addr 127.0.0.1"
                                    + " agent-port 9761 agent-send \"write 127.0.0.1:%d\\n\" agent-inter 1s\n")
                            .formatted(port, port, port));
        }
        assertThat(run("haproxy", "-c", "-f", cfg.toString())).contains("Configuration file is valid");
    }

    @Test
    void withHaEveryMariadbStartsReadOnlyWithLosslessSemiSync() throws Exception {
        Topology topology = haTopology();
        Instance primary = topology.instances("mariadb").getFirst();
        Path cnf = render(topology, primary, "conf/my.cnf");
        assertThat(Files.readString(cnf))
                .contains("read_only = ON\n")
                .contains("sync_binlog = 1\n")
                .contains("init_rpl_role = SLAVE\n")
                .contains("rpl_semi_sync_slave_enabled = ON\n")
                .contains("rpl_semi_sync_master_enabled = OFF\n")
                .contains("rpl_semi_sync_master_wait_point = AFTER_SYNC\n")
                .contains("rpl_semi_sync_master_timeout = 4294967295\n");
        // The server itself reads every one of them (an unknown option would stop it).
        assertThat(run("/usr/sbin/mariadbd", "--defaults-file=" + cnf, "--verbose", "--help"))
                .containsPattern("init-rpl-role\\s+SLAVE")
                .containsPattern("rpl-semi-sync-master-wait-point\\s+AFTER_SYNC");

        InstanceContext context =
                new InstanceContext("c1", topology, primary, root.resolve("agent"), "root", Map.of("127.0.0.1", 9761));
        io.flotilla.agent.api.HaGroupSpec group = MariaDbKind.haGroup(context);
        assertThat(group.key()).isEqualTo("/flotilla/c1/groups/mariadb/");
        assertThat(group.etcd()).containsExactly("http://127.0.0.1:2379");
        assertThat(group.firstPrimary()).isEqualTo("127.0.0.1:3306");
        assertThat(group.ttlSeconds()).isEqualTo(5);
        assertThat(group.durability()).isEqualTo("semi_sync");
        assertThat(group.members())
                .extracting(member -> member.id() + " " + member.priority() + " " + member.promotable())
                .containsExactly("127.0.0.1:3306 0 true", "127.0.0.1:3307 5 true", "127.0.0.1:3308 0 false");
        assertThat(group.replicationPasswordFile())
                .isEqualTo(root.resolve("agent/secrets/replication-password").toString());

        // Without an agent to answer the checks (Kubernetes) there is no failover, and the primary starts writable.
        InstanceContext noAgents = new InstanceContext("c1", topology, primary, root.resolve("agent"), "root");
        assertThat(MariaDbKind.ha(noAgents)).isFalse();
        assertThat(Catalog.standard().kind(primary).configFiles(noAgents).get("conf/my.cnf"))
                .contains("read_only = OFF\n");
    }

    @Test
    void mariadbOptionFilesCarryReplicationAndTheirOverrides() throws Exception {
        Topology topology = topology();
        List<Instance> mariadb = topology.instances("mariadb");
        String primary = Files.readString(render(topology, mariadb.get(0), "conf/my.cnf"));
        String replica = Files.readString(render(topology, mariadb.get(1), "conf/my.cnf"));
        assertThat(primary)
                .contains("server-id = 1\n")
                .contains("read_only = OFF\n")
                .contains("max_connections = 321\n")
                .contains("gtid_strict_mode = ON\n")
                .contains("log-bin = " + root + "/data/mariadb-3306/mariadb-bin\n");
        assertThat(replica)
                .contains("server-id = 2\n")
                .contains("read_only = ON\n")
                .contains("max_connections = 99\n");
        Path cnf = render(topology, mariadb.get(1), "conf/my.cnf");
        assertThat(run("my_print_defaults", "--defaults-file=" + cnf, "mariadbd"))
                .contains("--max_connections=99\n")
                .contains("--read_only=ON\n");
    }

    @Test
    void theRootPasswordIsStoredAsMariadbHashesIt() {
        assertThat(MariaDbKind.nativePasswordHash("password")).isEqualTo("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
    }

    /** Runs an engine's tool, which must succeed; what it printed. */
    static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(new ArrayList<>(List.of(command)))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
