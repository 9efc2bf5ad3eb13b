package io.flotilla.plan;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.InstanceStatus.State;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.ClusterSecrets;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import io.flotilla.testing.AgentProcess;
import io.flotilla.tls.CertificateAuthority;
import io.flotilla.tls.IssuedCertificate;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Destroy and stop of a cluster whose instance file on a host was damaged: the host's agent sets the
 * file aside on its start and no longer knows the instance, while the instance's process runs on.
 * A real agent (its own process, started from this class path) supervises a real node_exporter; the
 * plans' actions run one after another, in the plan's order, as the engine would run them with one
 * thread.
 */
class DamagedInstanceFileTest {
    private static final String HOST = "127.0.0.1";
    private static final String NAME = "damaged-file";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final CertificateAuthority CA = CertificateAuthority.create("damaged-file-test");
    private static final ClusterSecrets SECRETS =
            new ClusterSecrets("root-secret-1", "replication-secret-1", "agent-token-damaged-file");

    @TempDir
    Path root;

    private Topology topology;
    private final List<Process> agents = new ArrayList<>();
    private final List<Long> components = new ArrayList<>();
    private final List<ClusterContext> contexts = new ArrayList<>();

    @BeforeEach
    void writeTopology() throws IOException {
        topology = TopologyParser.parse(
                """
                global:
                  user: "%s"
                  deploy_dir: "%s/deploy"
                  data_dir: "%s/data"
                  listen_host: 127.0.0.1
                monitored:
                  node_exporter_port: %d
                  blackbox_exporter_port: %d
                etcd_servers:
                  - host: 127.0.0.1
                    client_port: %d
                    peer_port: %d
                """.formatted(
                        System.getProperty("user.name"), root, root, freePort(), freePort(), freePort(), freePort()),
                "topology.yaml");
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        contexts.forEach(ClusterContext::close);
        for (Process agent : agents) {
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (long pid : components) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void destroyStopsTheProcessOfAnInstanceWhoseFileWasDamagedAndRemovesWhatFlotillaMade() throws Exception {
        Instance exporter = nodeExporter();
        long pid = runWithDamagedInstanceFile(exporter);

        run(new ClusterPlanner(context()).destroy());

        assertThat(ProcessHandle.of(pid))
                .as("the exporter the agent lost track of")
                .isEmpty();
        assertThat(Path.of(exporter.deployDir())).doesNotExist();
        assertThat(agentDir()).doesNotExist();
    }

    @Test
    void stopStopsTheProcessOfAnInstanceWhoseFileWasDamaged() throws Exception {
        Instance exporter = nodeExporter();
        long pid = runWithDamagedInstanceFile(exporter);
        ClusterContext cluster = context();

        run(new ClusterPlanner(cluster).stop(Selection.ALL));

        assertThat(ProcessHandle.of(pid)).isEmpty();
        assertThat(cluster.agent(HOST).status(exporter.id()))
                .extracting(InstanceStatus::state, InstanceStatus::pid)
                .containsExactly(State.STOPPED, 0L);
    }

    /**
     * Deploys and starts the exporter with the plans' own steps, then restarts the agent with the
     * exporter's instance file damaged; returns the exporter's pid, which the agent no longer knows.
     */
    private long runWithDamagedInstanceFile(Instance exporter) throws Exception {
        ClusterContext first = context();
        ClusterPlanner planner = new ClusterPlanner(first);
        planner.deployInstance(exporter).task().run();
        planner.launch(exporter).task().run();
        long pid = first.agent(HOST).status(exporter.id()).pid();
        components.add(pid);
        assertEventually(
                WAIT,
                () -> assertThat(ProcessHandle.of(pid)
                                .flatMap(process -> process.info().command()))
                        .contains("/usr/bin/prometheus-node-exporter"));

        Process agent = agents.getLast();
        agent.destroy();
        assertThat(agent.waitFor(20, TimeUnit.SECONDS)).isTrue();
        Path file = agentDir().resolve("instances").resolve(exporter.id().replace(':', '_') + ".json");
        assertThat(file).exists();
        Files.writeString(file, "{\"spec\": {\"id\": \"127.0");
        assertThat(ProcessHandle.of(pid)).as("instances outlive their agent").isPresent();
        return pid;
    }

    /** A context of the cluster whose host runs a new agent (as the agent after a restart). */
    private ClusterContext context() throws IOException {
        int port = freePort();
        ClusterContext cluster = new ClusterContext(
                NAME,
                topology,
                Catalog.standard(),
                SECRETS,
                ClusterTls.of(NAME, CA),
                Map.of(HOST, port),
                Map.of(),
                LocalExecutor::new,
                new AgentRuntime(List.of(), root.resolve("cache")),
                System.getProperty("user.name"),
                "2026-01-01T00:00:00Z");
        contexts.add(cluster);
        startAgent(port);
        assertEventually(WAIT, () -> cluster.agent(HOST).info());
        return cluster;
    }

    private void startAgent(int port) throws IOException {
        Path dir = agentDir();
        Files.createDirectories(dir.resolve("tls"));
        writeOwnerOnly(dir.resolve("token"), SECRETS.agentToken().getBytes());
        IssuedCertificate issued = CA.issue(HOST);
        writeOwnerOnly(dir.resolve(AgentTls.KEY_FILE), issued.keyPem());
        Files.write(dir.resolve(AgentTls.CERTIFICATE_FILE), issued.certificatePem());
        agents.add(AgentProcess.start(dir, HOST + ":" + port, root.resolve("agent.log")));
    }

    private Path agentDir() {
        return root.resolve("deploy").resolve("flotilla-agent-" + NAME);
    }

    private Instance nodeExporter() {
        return topology.instances().stream()
                .filter(instance -> instance.component().equals("node_exporter"))
                .findFirst()
                .orElseThrow();
    }

    private static void run(Plan plan) throws Exception {
        for (Step.Action action : plan.actions()) {
            action.task().run();
        }
    }

    private static void writeOwnerOnly(Path file, byte[] content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(file, content);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
