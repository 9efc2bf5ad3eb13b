package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.EtcdClient;
import io.flotilla.agent.api.HaGroupSpec;
import io.flotilla.agent.api.HaMemberStatus;
import io.flotilla.agent.api.RestartPolicy;
import io.flotilla.agent.api.Takeover;
import io.flotilla.testing.Teardown;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replication group's settings given to a real agent over its API, with a real etcd and a real
 * mariadbd: bad settings refused before anything is kept; good ones kept 0600 and run (the member
 * leads, the write check says up); put again unchanged they change nothing; the agent stopped and
 * started again within the ttl keeps the lead on the same lease (no failover); a damaged settings
 * file is set aside; the group removed fences its primary and hands the lead over at once.
 */
class HaGroupApiTest {
    private static final String TOKEN = "ha-group-token-3c1d";

    @TempDir
    static Path dir;

    private static TestingEtcd etcd;
    private static EtcdClient client;
    private static TestingMariaDb server;
    private static Path agentDir;
    private static String id;
    private Agent agent;
    private Takeover first;

    @BeforeAll
    static void start() throws Exception {
        etcd = new TestingEtcd(dir.resolve("etcd"));
        client = new EtcdClient(List.of(etcd.endpoint()), Duration.ofMillis(500));
        Path template = dir.resolve("template");
        TestingMariaDb.installDataDir(template);
        server = TestingMariaDb.start(template, Files.createDirectories(dir.resolve("m1")), 1);
        server.sql("CREATE USER 'admin'@'127.0.0.1' IDENTIFIED BY 'ha-admin-2';"
                + " GRANT ALL ON *.* TO 'admin'@'127.0.0.1' WITH GRANT OPTION; SET GLOBAL read_only = ON");
        agentDir = Files.createDirectories(dir.resolve("flotilla-agent-test"));
        Path token = agentDir.resolve("token");
        Files.writeString(token, TOKEN + "\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        TestingTls.writeAgentFiles(agentDir);
        Path secrets = Files.createDirectories(agentDir.resolve("secrets"));
        for (String name : List.of("admin.password", "replication.password")) {
            Files.writeString(secrets.resolve(name), "ha-admin-2\n");
            Files.setPosixFilePermissions(secrets.resolve(name), PosixFilePermissions.fromString("rw-------"));
        }
        id = "127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(server, client, etcd);
    }

    @AfterEach
    void stopAgent() {
        if (agent != null) {
            agent.close();
        }
    }

    private Agent startAgent() {
        agent = Agent.start(agentDir, "127.0.0.1:0", "127.0.0.1:0", RestartPolicy.DEFAULT);
        return agent;
    }

    private AgentClient api() {
        return new AgentClient(
                URI.create("https://127.0.0.1:" + agent.address().getPort()),
                TOKEN,
                TestingTls.client(),
                Duration.ofSeconds(10));
    }

    private static HaGroupSpec spec(String group, int ttlSeconds, String firstPrimary) {
        return new HaGroupSpec(
                "test",
                group,
                List.of(etcd.endpoint().toString()),
                ttlSeconds,
                HaGroupSpec.ASYNC,
                firstPrimary,
                List.of(new HaGroupSpec.Member(id, "127.0.0.1", server.port(), 0, true)),
                "repl",
                agentDir.resolve("secrets/replication.password").toString(),
                600,
                0);
    }

    private String askWrite() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), agent.checkPort())) {
            socket.getOutputStream().write(("write " + id + "\n").getBytes(US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), US_ASCII);
        }
    }

    @Test
    void aGroupIsKeptRunAndKeepsItsLeadAcrossAnAgentRestart() throws Exception {
        startAgent();
        try (AgentClient api = api()) {
            api.put(server.spec(
                    id, dir, "admin", agentDir.resolve("secrets/admin.password"), "/nonexistent/my.cnf", ""));
            // Refused before anything is kept: settings that do not name this agent's instance, or the wrong group.
            HaGroupSpec stranger = new HaGroupSpec(
                    "test",
                    "g1",
                    List.of(etcd.endpoint().toString()),
                    2,
                    HaGroupSpec.ASYNC,
                    "10.0.0.9:3306",
                    List.of(new HaGroupSpec.Member("10.0.0.9:3306", "10.0.0.9", 3306, 0, true)),
                    "repl",
                    "/nonexistent/replication.password",
                    600,
                    0);
            assertThatThrownBy(() -> api.putHaGroup(stranger))
                    .isInstanceOf(AgentException.class)
                    .hasMessageContaining("supervises none of group g1's members (10.0.0.9:3306)");
            assertThat(agentDir.resolve("ha/g1.json")).doesNotExist();

            List<HaMemberStatus> put = api.putHaGroup(spec("g1", 2, id));
            assertThat(put).extracting(HaMemberStatus::instance).containsExactly(id);
            assertThat(Files.getPosixFilePermissions(agentDir.resolve("ha/g1.json")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertEventually(Duration.ofSeconds(15), () -> {
                assertThat(api.haMembers()).singleElement().satisfies(member -> {
                    assertThat(member.phase()).isEqualTo("PRIMARY");
                    assertThat(member.writable()).isTrue();
                });
                assertThat(askWrite()).isEqualTo("up\n");
            });
            assertThat(server.sql("SELECT @@GLOBAL.read_only").strip()).isEqualTo("0");
            String key = "/flotilla/test/groups/g1/leader";
            long lease = client.get(key).orElseThrow().lease();
            first = Takeover.fromJson(client.get("/flotilla/test/groups/g1/takeover")
                            .orElseThrow()
                            .value())
                    .orElseThrow();

            // Put again unchanged: the same member keeps leading on the same lease.
            api.putHaGroup(spec("g1", 2, id));
            assertThat(api.haMembers())
                    .singleElement()
                    .satisfies(member -> assertThat(member.writable()).isTrue());
            assertThat(client.get(key).orElseThrow().lease()).isEqualTo(lease);

            // A settings file something else damaged is set aside at the next start; g1 still runs.
            Files.writeString(agentDir.resolve("ha/g2.json"), "{\"group\": \"g2\", \"ttlSeconds\": 1}");
        }
        agent.close();
        // Stopped, the agent leaves its key on its lease: started again within the ttl, it leads on.
        assertThat(client.get("/flotilla/test/groups/g1/leader")).isPresent();
        long lease = client.get("/flotilla/test/groups/g1/leader").orElseThrow().lease();
        startAgent();
        try (AgentClient api = api()) {
            assertEventually(Duration.ofSeconds(15), () -> {
                assertThat(api.haMembers()).singleElement().satisfies(member -> {
                    assertThat(member.group()).isEqualTo("g1");
                    assertThat(member.writable()).isTrue();
                });
                assertThat(askWrite()).isEqualTo("up\n");
            });
            assertThat(client.get("/flotilla/test/groups/g1/leader")
                            .orElseThrow()
                            .lease())
                    .as("the same lease: no failover")
                    .isEqualTo(lease);
            assertThat(Takeover.fromJson(client.get("/flotilla/test/groups/g1/takeover")
                                    .orElseThrow()
                                    .value())
                            .orElseThrow())
                    .as("no new takeover")
                    .isEqualTo(first);
            assertThat(agentDir.resolve("ha/g2.json")).doesNotExist();
            try (var damaged = Files.list(agentDir.resolve("ha/damaged"))) {
                assertThat(damaged.map(file -> file.getFileName().toString()))
                        .singleElement()
                        .satisfies(name -> assertThat(name).startsWith("g2.json."));
            }

            // Removed: the primary is fenced and the lead handed over at once, the settings gone.
            api.removeHaGroup("g1");
            assertThat(client.get("/flotilla/test/groups/g1/leader")).isEmpty();
            assertThat(api.haMembers()).isEmpty();
            assertThat(askWrite()).isEqualTo("down\n");
            assertThat(agentDir.resolve("ha/g1.json")).doesNotExist();
            assertThat(server.sql("SELECT @@GLOBAL.read_only").strip()).isEqualTo("1");
            assertThatThrownBy(() -> api.removeHaGroup("g1")).hasMessageContaining("no replication group g1");
        }
    }
}
