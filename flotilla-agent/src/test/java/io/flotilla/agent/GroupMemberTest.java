package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.EtcdClient;
import io.flotilla.agent.api.FenceRequest;
import io.flotilla.agent.api.GtidWait;
import io.flotilla.agent.api.ReplicationSource;
import io.flotilla.agent.api.RestartPolicy;
import io.flotilla.agent.api.Takeover;
import io.flotilla.testing.AcknowledgingWriter;
import io.flotilla.testing.Teardown;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replication group of three real mariadbd servers with lossless semi-sync ({@code AFTER_SYNC}),
 * one {@link GroupMember} each (as their three agents would run them) and a real etcd, ttl 2 s.
 * A writer inserts unique ids through the member whose agent-check answers "up" to {@code write ID}
 * (what the gateway's write pool follows) and records every insert a server acknowledged. The first primary takes
 * the lead; killed with SIGKILL and kept down, a replica takes over, the other follows it, and
 * every acknowledged id is on both; started again, the old primary rejoins as a replica with
 * nothing the new primary lacks; the new primary frozen with SIGSTOP is replaced likewise. No two
 * members ever say they are writable at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GroupMemberTest {
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final String GROUP = "/flotilla/test/groups/g1/";
    /**
     * What an HA cluster's MariaDB runs with: lossless semi-sync, replicas that log what they apply,
     * read-only until promoted. Semi-sync's primary side is off: the member turns it on when it
     * promotes its instance (a replica with it on would wait for acknowledgements of what it applies).
     */
    private static final List<String> OPTIONS = List.of(
            "--log-slave-updates",
            "--gtid-strict-mode=ON",
            "--sync-binlog=1",
            "--read-only=ON",
            "--init-rpl-role=SLAVE",
            "--rpl-semi-sync-slave-enabled=ON",
            "--rpl-semi-sync-master-wait-point=AFTER_SYNC",
            "--rpl-semi-sync-master-timeout=3600000");

    @TempDir
    static Path dir;

    private static TestingEtcd etcd;
    private static EtcdClient client;
    private static final List<TestingMariaDb> servers = new ArrayList<>();
    private static final List<String> ids = new ArrayList<>();
    private static final List<GroupMember> members = new ArrayList<>();
    private static Supervisor supervisor;
    private static ReplicationAdmin replication;
    private static Path replicationPassword;
    private static AcknowledgingWriter writer;
    /** What the agents answer HAProxy's agent-check with (one server here: the members share a process). */
    private static HealthCheckServer checks;

    private static final AtomicInteger mostWritable = new AtomicInteger();
    private static volatile boolean sampling = true;

    @BeforeAll
    static void start() throws Exception {
        etcd = new TestingEtcd(dir.resolve("etcd"));
        client = new EtcdClient(List.of(etcd.endpoint()), Duration.ofMillis(500));
        Path template = dir.resolve("template");
        TestingMariaDb.installDataDir(template);
        Path admin = secret("admin.password", "group-admin-1");
        replicationPassword = secret("secrets/replication.password", "repl-pass-4");
        supervisor = Supervisor.open(dir.resolve("agent"), RestartPolicy.DEFAULT);
        replication = new ReplicationAdmin(supervisor, dir.resolve("secrets"));
        for (int i = 1; i <= 3; i++) {
            TestingMariaDb server =
                    TestingMariaDb.start(template, Files.createDirectories(dir.resolve("m" + i)), i, OPTIONS);
            servers.add(server);
            // The same accounts and schema on each, outside the binary log, which then starts empty.
            server.sql("SET SESSION sql_log_bin = 0;"
                    + " CREATE USER 'admin'@'127.0.0.1' IDENTIFIED BY 'group-admin-1';"
                    + " GRANT ALL ON *.* TO 'admin'@'127.0.0.1' WITH GRANT OPTION;"
                    + " CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pass-4'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';"
                    + " CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-9';"
                    + " CREATE DATABASE fleet; CREATE TABLE fleet.acks (id BIGINT PRIMARY KEY);"
                    + " GRANT SELECT, INSERT ON fleet.* TO 'app'@'127.0.0.1';"
                    + " RESET MASTER; SET GLOBAL gtid_slave_pos = ''");
            String id = "127.0.0.1:" + server.port();
            ids.add(id);
            supervisor.put(server.spec(id, dir, "admin", admin, "/nonexistent/my.cnf", ""));
        }
        for (int i = 1; i <= 2; i++) {
            replication.source(
                    ids.get(i),
                    new ReplicationSource("127.0.0.1", servers.get(0).port(), "repl", replicationPassword.toString()));
        }
        List<GroupMember.Peer> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            peers.add(
                    new GroupMember.Peer(ids.get(i), "127.0.0.1", servers.get(i).port()));
        }
        for (String id : ids) {
            members.add(new GroupMember(
                            new GroupMember.Settings(
                                    GROUP,
                                    id,
                                    peers,
                                    ids.getFirst(),
                                    TTL,
                                    Election.Durability.SEMI_SYNC,
                                    0,
                                    true,
                                    "repl",
                                    replicationPassword.toString(),
                                    new FenceRequest(600, "repl"),
                                    Duration.ZERO),
                            client,
                            supervisor,
                            replication,
                            new ProbeRunner(Duration.ofMillis(500)))
                    .start());
        }
        checks = HealthCheckServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                supervisor,
                new ProbeRunner(),
                id -> ids.contains(id) && members.get(ids.indexOf(id)).writable());
        Thread.ofPlatform().daemon().name("writable-sampler").start(GroupMemberTest::sample);
    }

    private static Path secret(String name, String value) throws Exception {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, value + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** Records the most members that said at once that they are writable. */
    private static void sample() {
        while (sampling) {
            int writable = (int) members.stream().filter(GroupMember::writable).count();
            mostWritable.accumulateAndGet(writable, Math::max);
            LockSupport.parkNanos(2_000_000); // pacing on two cores, not waiting for anything
        }
    }

    @AfterAll
    static void stop() throws Exception {
        sampling = false;
        if (writer != null) {
            writer.close();
        }
        List<AutoCloseable> all = new ArrayList<>();
        all.add(checks);
        all.addAll(members);
        all.add(replication);
        all.add(supervisor);
        all.addAll(servers);
        all.add(client);
        all.add(etcd);
        Teardown.closeAll(all);
    }

    private static Optional<Integer> writableMember() {
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i).writable()) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    /** Where the gateway would send writes: the member whose write check says up. */
    private static Optional<AcknowledgingWriter.Target> writeTarget() {
        return writableMember()
                .map(member -> new AcknowledgingWriter.Target(
                        ids.get(member),
                        "jdbc:mariadb://127.0.0.1:%d/"
                                .formatted(servers.get(member).port())));
    }

    private static long acknowledgedBy(int member) {
        return writer.on(ids.get(member));
    }

    private static Set<Long> rows(int member) throws Exception {
        String out = servers.get(member).sql("SELECT id FROM fleet.acks").strip();
        return out.isEmpty()
                ? Set.of()
                : Arrays.stream(out.split("\n")).map(Long::valueOf).collect(Collectors.toSet());
    }

    private static GroupMember.Phase phase(int member) {
        return members.get(member).status().phase();
    }

    private static int primary() {
        return writableMember().orElseThrow();
    }

    /** Waits until {@code member} applied all the primary wrote, then checks it holds every id acknowledged before. */
    private static void assertHoldsEveryAcknowledgedId(int member, int primary) throws Exception {
        Set<Long> acknowledged = writer.acknowledged();
        String written =
                servers.get(primary).sql("SELECT @@GLOBAL.gtid_binlog_pos").strip();
        if (member != primary) {
            replication.await(ids.get(member), new GtidWait(written, 30));
        }
        assertThat(rows(member)).as("acknowledged ids on " + ids.get(member)).containsAll(acknowledged);
    }

    @Test
    @Order(1)
    void theFirstPrimaryLeadsAndTheReplicasFollowIt() throws Exception {
        assertEventually(Duration.ofSeconds(20), () -> {
            assertThat(members.get(0).writable()).isTrue();
            assertThat(phase(1)).isEqualTo(GroupMember.Phase.REPLICA);
            assertThat(phase(2)).isEqualTo(GroupMember.Phase.REPLICA);
        });
        assertThat(members.get(1).status().leader()).isEqualTo(ids.get(0));
        Takeover first = Takeover.fromJson(
                        client.get(GROUP + "takeover").orElseThrow().value())
                .orElseThrow();
        assertThat(first.primary()).isEqualTo(ids.get(0));
        assertThat(first.previous()).isEmpty();
        writer = new AcknowledgingWriter(
                "fleet.acks", TestingMariaDb.client("app", "app-9"), GroupMemberTest::writeTarget);
        assertEventually(
                Duration.ofSeconds(20), () -> assertThat(acknowledgedBy(0)).isGreaterThan(100));
        // Semi-sync, after the sync: a replica had each acknowledged insert before the client heard of it.
        assertThat(servers.get(0)
                        .sql("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'")
                        .strip())
                .endsWith("ON");
    }

    @Test
    @Order(2)
    void aKilledPrimaryIsReplacedByAReplicaAndNoAcknowledgedWriteIsLost() throws Exception {
        long before = writer.acknowledged().size();
        servers.get(0).kill();
        assertEventually(Duration.ofSeconds(30), () -> {
            Optional<Integer> writable = writableMember();
            assertThat(writable).isPresent();
            assertThat(writable.get()).isNotZero();
            assertThat(acknowledgedBy(writable.get())).isGreaterThan(50);
        });
        int next = primary();
        int other = 3 - next;
        assertThat(writer.acknowledged().size()).isGreaterThan((int) before);
        assertEventually(Duration.ofSeconds(20), () -> {
            assertThat(phase(other)).isEqualTo(GroupMember.Phase.REPLICA);
            assertThat(members.get(other).status().leader()).isEqualTo(ids.get(next));
        });
        Takeover takeover = Takeover.fromJson(
                        client.get(GROUP + "takeover").orElseThrow().value())
                .orElseThrow();
        assertThat(takeover.primary()).isEqualTo(ids.get(next));
        assertThat(takeover.previous()).isEqualTo(ids.get(0));
        assertThat(phase(0)).isIn(GroupMember.Phase.DOWN, GroupMember.Phase.FENCED);
        assertHoldsEveryAcknowledgedId(next, next);
        assertHoldsEveryAcknowledgedId(other, next);
        assertThat(mostWritable.get()).as("members writable at once").isEqualTo(1);
    }

    @Test
    @Order(3)
    void theKilledPrimaryStartedAgainRejoinsAsAReplicaWithNothingTheNewPrimaryLacks() throws Exception {
        int next = primary();
        servers.get(0).restart(OPTIONS);
        assertEventually(Duration.ofSeconds(30), () -> {
            assertThat(phase(0)).isEqualTo(GroupMember.Phase.REPLICA);
            assertThat(members.get(0).status().leader()).isEqualTo(ids.get(next));
        });
        assertHoldsEveryAcknowledgedId(0, next);
        Set<Long> extra = new HashSet<>(rows(0));
        extra.removeAll(rows(next));
        assertThat(extra).as("rows on the old primary the new one lacks").isEmpty();
        assertThat(servers.get(0).sql("SELECT @@GLOBAL.read_only").strip()).isEqualTo("1");
        assertThat(mostWritable.get()).as("members writable at once").isEqualTo(1);
    }

    @Test
    @Order(4)
    void aFrozenPrimaryIsReplacedAndThawedItRejoinsOrIsQuarantinedByName() throws Exception {
        int frozen = primary();
        long before = writer.acknowledged().size();
        new ProcessBuilder("kill", "-STOP", String.valueOf(servers.get(frozen).pid()))
                .start()
                .waitFor();
        int next;
        try {
            assertEventually(Duration.ofSeconds(30), () -> {
                Optional<Integer> writable = writableMember();
                assertThat(writable).isPresent();
                assertThat(writable.get()).isNotEqualTo(frozen);
            });
            next = primary();
            long onNext = acknowledgedBy(next);
            assertEventually(
                    Duration.ofSeconds(20),
                    () -> assertThat(acknowledgedBy(next)).isGreaterThan(onNext + 50));
        } finally {
            new ProcessBuilder(
                            "kill", "-CONT", String.valueOf(servers.get(frozen).pid()))
                    .start()
                    .waitFor();
        }
        assertThat(writer.acknowledged().size()).isGreaterThan((int) before);
        assertEventually(
                Duration.ofSeconds(60),
                () -> assertThat(phase(frozen)).isIn(GroupMember.Phase.REPLICA, GroupMember.Phase.QUARANTINED));
        writer.close();
        int other = 3 - next - frozen;
        assertHoldsEveryAcknowledgedId(next, next);
        assertHoldsEveryAcknowledgedId(other, next);
        assertThat(servers.get(frozen).sql("SELECT @@GLOBAL.read_only").strip()).isEqualTo("1");
        Set<Long> extra = new HashSet<>(rows(frozen));
        extra.removeAll(rows(next));
        if (phase(frozen) == GroupMember.Phase.REPLICA) {
            assertHoldsEveryAcknowledgedId(frozen, next);
            assertThat(extra)
                    .as("rows on the rejoined primary the new one lacks")
                    .isEmpty();
        } else {
            // An insert the frozen primary had written but no replica received, never acknowledged.
            assertThat(extra).isNotEmpty().doesNotContainAnyElementsOf(writer.acknowledged());
            assertThat(members.get(frozen).status().why()).contains("lacks").contains("0-" + (frozen + 1) + "-");
        }
        assertThat(mostWritable.get()).as("members writable at once").isEqualTo(1);
    }

    @Test
    @Order(5)
    void aSecondFailoverWithinTheCooldownIsHeldBackAndSaysUntilWhen() throws Exception {
        // A member that replicates (the frozen primary of the test before may be quarantined instead).
        int replica = java.util.stream.IntStream.range(0, 3)
                .filter(member -> phase(member) == GroupMember.Phase.REPLICA)
                .findFirst()
                .orElseThrow();
        // A group whose last failover was a minute ago, whose primary is gone: its replica would stand but for the
        // cooldown.
        String group = "/flotilla/test/groups/g2/";
        client.put(
                group + "takeover",
                new Takeover("127.0.0.1:1", "127.0.0.1:2", "", Instant.now().minusSeconds(60)).toJson(),
                0);
        List<GroupMember.Peer> peers = List.of(
                new GroupMember.Peer("127.0.0.1:1", "127.0.0.1", 1),
                new GroupMember.Peer(
                        ids.get(replica), "127.0.0.1", servers.get(replica).port()));
        try (GroupMember held = new GroupMember(
                        new GroupMember.Settings(
                                group,
                                ids.get(replica),
                                peers,
                                "127.0.0.1:1",
                                TTL,
                                Election.Durability.ASYNC,
                                0,
                                true,
                                "repl",
                                replicationPassword.toString(),
                                new FenceRequest(600, "repl"),
                                Duration.ofHours(1)),
                        client,
                        supervisor,
                        replication,
                        new ProbeRunner(Duration.ofMillis(500)))
                .start()) {
            assertEventually(Duration.ofSeconds(10), () -> {
                assertThat(held.status().phase()).isEqualTo(GroupMember.Phase.WAITING);
                assertThat(held.status().why())
                        .contains("127.0.0.1:1 took over from 127.0.0.1:2")
                        .contains("another failover within ha.cooldown (PT1H) is held back until");
            });
            assertThat(client.get(group + "leader")).isEmpty();
            assertThat(held.writable()).isFalse();
        }
        assertThat(replication.state(ids.get(replica)).source())
                .as("still a replica")
                .isNotNull();
    }
}
