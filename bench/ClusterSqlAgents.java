import io.flotilla.agent.Agent;
import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentTls;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.RestartPolicy;
import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.ComponentKind;
import io.flotilla.catalog.InstanceContext;
import io.flotilla.engine.ClusterMeta;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.tls.CertificateAuthority;
import io.flotilla.tls.IssuedCertificate;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Many real agents in one JVM, for bench/cluster-sql.sh:
 * {@code java -cp 'lib/*' bench/ClusterSqlAgents.java WORK COUNT AGENT_PORT ALERTMANAGER_PORT SIZES READY}
 * (etcd on ALERTMANAGER_PORT + 2 and + 3).
 *
 * <p>Host {@code i} is the loopback address 127.77.0.i (all of 127.0.0.0/8 is loopback on Linux). On each,
 * a real {@link Agent} (its own directory, 0600 token, a certificate of the clusters' CA, HTTPS API on AGENT_PORT, load sampled every second)
 * supervises one real Alertmanager, registered and started through the agent's API with the catalog's
 * spec, except that Alertmanager's clustering is off (no 100-member gossip mesh on two cores) and it
 * listens on its host's address. For each size {@code s} of SIZES (e.g. {@code 1,10,100}) it writes,
 * under {@code WORK/home} (a FLOTILLA_HOME), the state of a cluster {@code agents<s>}: the topology of the
 * first {@code s} hosts, the meta with their agent ports and the secrets whose agent token the agents
 * hold; {@code flotilla serve --cluster agents<s>} then serves it. Writes READY once every instance is
 * running, then waits. SIGTERM, SIGINT or the death of the parent process stops the Alertmanagers and
 * the agents.
 */
public final class ClusterSqlAgents {
    private ClusterSqlAgents() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: ClusterSqlAgents WORK COUNT AGENT_PORT ALERTMANAGER_PORT SIZES READY");
            System.exit(2);
        }
        // A script killed with SIGKILL cannot stop us: we go when it goes.
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
        Path work = Path.of(args[0]).toAbsolutePath();
        int count = Integer.parseInt(args[1]);
        int agentPort = Integer.parseInt(args[2]);
        int alertmanagerPort = Integer.parseInt(args[3]);
        int etcdPort = alertmanagerPort + 2;
        List<Integer> sizes = new ArrayList<>();
        for (String size : args[4].split(",")) {
            sizes.add(Integer.parseInt(size));
        }
        Path ready = Path.of(args[5]);
        String user = System.getProperty("user.name");

        FlotillaHome home = new FlotillaHome(work.resolve("home"));
        Map<Integer, Topology> topologies = new LinkedHashMap<>();
        Path secretsFile = null;
        String token = null;
        CertificateAuthority ca = null;
        Path caDir = null;
        for (int size : sizes) {
            String name = "agents" + size;
            ClusterStore store = home.cluster(name);
            String yaml = topology(work, size, alertmanagerPort, etcdPort, user);
            topologies.put(size, TopologyParser.parse(yaml, name + "/topology.yaml"));
            store.writeTopology(yaml);
            Map<String, Integer> agentPorts = new LinkedHashMap<>();
            for (int i = 1; i <= size; i++) {
                agentPorts.put(host(i), agentPort);
            }
            store.writeMeta(new ClusterMeta(
                    name, "0.1.0", Instant.now().toString(), "deployed", agentPorts, Map.of(), user, null));
            // One set of agents answers for every cluster: they share the agent token (and so the secrets) and the CA.
            if (secretsFile == null) {
                token = store.secrets().agentToken();
                secretsFile = store.dir().resolve("secrets.json");
                ca = store.createCa();
                caDir = store.dir().resolve("tls");
            } else {
                Files.copy(
                        secretsFile,
                        store.dir().resolve("secrets.json"),
                        StandardCopyOption.COPY_ATTRIBUTES,
                        StandardCopyOption.REPLACE_EXISTING);
                // tls/current and the CA folder it names, modes kept.
                try (var walk = Files.walk(caDir)) {
                    for (Path source : walk.toList()) {
                        Path target = store.dir().resolve("tls").resolve(caDir.relativize(source).toString());
                        if (Files.isDirectory(source)) {
                            Files.createDirectories(target);
                        } else {
                            Files.copy(
                                    source,
                                    target,
                                    StandardCopyOption.COPY_ATTRIBUTES,
                                    StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            }
        }

        Topology largest = topologies.get(sizes.stream().max(Integer::compare).orElseThrow());
        if (!sizes.contains(count)) {
            throw new IllegalStateException("COUNT (%d) must be the largest of SIZES %s".formatted(count, sizes));
        }
        Catalog catalog = Catalog.standard();
        List<Agent> agents = new ArrayList<>();
        List<AgentClient> clients = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(agents, clients), "bench-agents-stop"));
        long started = System.nanoTime();
        for (int i = 1; i <= count; i++) {
            Path agentDir = work.resolve("h" + i).resolve("agent");
            Files.createDirectories(agentDir);
            Path tokenFile = agentDir.resolve("token");
            Files.writeString(tokenFile, token + "\n");
            Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
            IssuedCertificate issued = ca.issue(host(i));
            Files.createDirectories(agentDir.resolve("tls"));
            LocalExecutor.writeAtomically(agentDir.resolve(AgentTls.KEY_FILE), issued.keyPem(), "0600");
            LocalExecutor.writeAtomically(agentDir.resolve(AgentTls.CERTIFICATE_FILE), issued.certificatePem(), "0644");
            Agent agent = Agent.start(agentDir, host(i) + ":" + agentPort, RestartPolicy.DEFAULT);
            synchronized (agents) {
                agents.add(agent);
            }
            AgentClient client = new AgentClient(
                    URI.create("https://%s:%d".formatted(host(i), agentPort)),
                    token,
                    AgentTls.pinned(List.of(ca.certificate())),
                    Duration.ofSeconds(10));
            synchronized (agents) {
                clients.add(client);
            }
            for (Instance instance : onHost(largest, host(i))) {
                client.put(spec(catalog, largest, instance, agentDir, user));
                client.start(instance.id());
            }
        }
        for (int i = 1; i <= count; i++) {
          for (Instance instance : onHost(largest, host(i))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!clients.get(i - 1).ready(instance.id()).ready()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("%s is not ready after 60 s: %s"
                            .formatted(instance.id(), clients.get(i - 1).status(instance.id())));
                }
                Thread.sleep(100);
            }
          }
        }
        Path temporary = ready.resolveSibling(ready.getFileName() + ".tmp");
        Files.writeString(
                temporary,
                "%d agents and Alertmanagers ready in %.1f s%n".formatted(count, (System.nanoTime() - started) / 1e9));
        Files.move(temporary, ready, StandardCopyOption.ATOMIC_MOVE);
        new CountDownLatch(1).await();
    }

    private static List<Instance> onHost(Topology topology, String host) {
        return topology.instances().stream()
                .filter(instance -> instance.host().equals(host))
                .toList();
    }

    static String host(int i) {
        return "127.77.%d.%d".formatted(i / 250, i % 250 + 1);
    }

    // Monitoring alone is refused as a topology: host 1 also runs a real single-member etcd.
    private static String topology(Path work, int size, int alertmanagerPort, int etcdPort, String user) {
        StringBuilder yaml = new StringBuilder();
        Path first = work.resolve("h1");
        yaml.append("""
                global:
                  user: "%s"
                etcd_servers:
                  - { host: %s, listen_host: %s, client_port: %d, peer_port: %d, deploy_dir: "%s", data_dir: "%s", ignore_exporter: true }
                alertmanager_servers:
                """.formatted(
                        user,
                        host(1),
                        host(1),
                        etcdPort,
                        etcdPort + 1,
                        first.resolve("etcd-deploy"),
                        first.resolve("etcd-data")));
        for (int i = 1; i <= size; i++) {
            Path dir = work.resolve("h" + i);
            yaml.append(
                    "  - { host: %s, listen_host: %s, web_port: %d, cluster_port: %d, deploy_dir: \"%s\", data_dir: \"%s\", ignore_exporter: true }\n"
                            .formatted(
                                    host(i),
                                    host(i),
                                    alertmanagerPort,
                                    alertmanagerPort + 1,
                                    dir.resolve("deploy"),
                                    dir.resolve("data")));
        }
        return yaml.toString();
    }

    // The catalog's spec (as ClusterContext.spec builds it), with clustering off and the host's own address.
    private static InstanceSpec spec(
            Catalog catalog, Topology topology, Instance instance, Path agentDir, String user)
            throws Exception {
        ComponentKind kind = catalog.kind(instance);
        InstanceContext context = new InstanceContext("bench", topology, instance, agentDir, user);
        for (Map.Entry<String, String> file : kind.configFiles(context).entrySet()) {
            Path target = context.deployDir().resolve(file.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, file.getValue());
        }
        Files.createDirectories(context.dataDir());
        Files.createDirectories(context.logDir());
        List<String> command = new ArrayList<>();
        for (String argument : kind.commandLine(context)) {
            if (argument.startsWith("--cluster.peer=")) {
                continue;
            }
            if (argument.startsWith("--cluster.listen-address=")) {
                command.add("--cluster.listen-address=");
            } else {
                command.add(argument);
            }
        }
        return new InstanceSpec(
                instance.id(),
                instance.component(),
                command,
                Map.of(),
                instance.deployDir(),
                Path.of(instance.logDir(), instance.component() + ".log").toString(),
                kind.readiness(context),
                kind.stopTimeoutSeconds(),
                List.copyOf(instance.ports().values()),
                List.of(instance.dataDir(), instance.logDir()),
                kind.binaryPackage(),
                kind.logFiles(context),
                null);
    }

    private static void stop(List<Agent> agents, List<AgentClient> clients) {
        synchronized (agents) {
            for (Agent agent : agents) {
                for (InstanceStatus status : agent.supervisor().statuses()) {
                    try {
                        agent.supervisor().stop(status.id());
                    } catch (RuntimeException e) {
                        System.err.println("cannot stop " + status.id() + ": " + e.getMessage());
                    }
                }
                agent.close();
            }
            clients.forEach(AgentClient::close);
        }
    }
}
