package io.flotilla.operations;

import static java.util.Objects.requireNonNull;

import io.flotilla.catalog.Catalog;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.SshAccess;
import io.flotilla.plan.AgentCertificateCheck;
import io.flotilla.plan.CheckResult;
import io.flotilla.plan.ClusterContext;
import io.flotilla.plan.HostCheck;
import io.flotilla.plan.SourceTarball;
import io.flotilla.step.OperationException;
import io.flotilla.topology.ComponentSource;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * {@code flotilla cluster check}: TiUP's pre-flight rules on every host of a topology file (hosts
 * about to be deployed to) or of a deployed cluster, all hosts side by side over their SSH
 * connections, each reporting when it is done.
 */
public final class ClusterCheck {
    private final FlotillaHome home;
    private final Catalog catalog;

    public ClusterCheck(FlotillaHome home, Catalog catalog) {
        this.home = requireNonNull(home, "home is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
    }

    /** Told as each host starts and finishes, from the host's own thread. */
    public interface Progress {
        void started(String host);

        void finished(String host, List<CheckResult> rows);
    }

    /** The rows of every host, hosts in topology order; {@link #failed()} when any row is a Fail. */
    public record Report(String subject, List<String> hosts, List<CheckResult> rows) {
        public Report {
            requireNonNull(subject, "subject is null");
            hosts = List.copyOf(hosts);
            rows = List.copyOf(rows);
        }

        public boolean failed() {
            return rows.stream().anyMatch(row -> row.verdict() == CheckResult.Verdict.FAIL);
        }

        public long count(CheckResult.Verdict verdict) {
            return rows.stream().filter(row -> row.verdict() == verdict).count();
        }
    }

    /**
     * Checks the hosts of a topology file before a deploy, logged in as the deploy would be (key,
     * key with passphrase, or password): ports in use and data dirs with files fail.
     */
    public Report file(
            Path file, String yaml, SshLogin login, boolean apply, Predicate<String> selected, Progress progress) {
        Topology topology = TopologyParser.parse(yaml, file.toString());
        topology.hosts().forEach(host -> Hosts.requireReachable(host, login != null));
        Path knownHosts;
        try {
            // Keys accepted on first use are not kept: a check leaves nothing behind.
            knownHosts = Files.createTempFile("flotilla-check-known_hosts", "");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary known_hosts file", e);
        }
        try (Hosts hosts = login == null ? new Hosts((SshAccess) null, knownHosts) : new Hosts(login, knownHosts)) {
            return run(file.toString(), topology, hosts, false, apply, selected, progress);
        } finally {
            try {
                Files.deleteIfExists(knownHosts);
            } catch (IOException ignored) {
                // A temporary file the system cleans up anyway.
            }
        }
    }

    /** Checks the hosts of a deployed cluster, with its own login: its own ports and files are expected. */
    public Report cluster(String name, boolean apply, Predicate<String> selected, Progress progress) {
        ClusterStore store = home.cluster(name);
        Topology topology = TopologyParser.parseStored(
                store.topologyText(), store.topologyFile().toString());
        Report report;
        try (Hosts hosts = new Hosts(store.meta().ssh(), store.dir().resolve("known_hosts"))) {
            report = run(name, topology, hosts, true, apply, selected, progress);
        }
        List<CheckResult> rows = new ArrayList<>(admissionWarnings(topology));
        rows.addAll(report.rows());
        return new Report(report.subject(), report.hosts(), rows);
    }

    /**
     * What a rule added since the cluster was deployed would refuse in its stored topology: the
     * cluster still works, but the same file would not deploy today.
     */
    private static List<CheckResult> admissionWarnings(Topology topology) {
        return topology.admissionProblems().stream()
                .map(problem -> new CheckResult(
                        problem.instances().stream()
                                .flatMap(id -> topology.instance(id).stream())
                                .map(Instance::host)
                                .findFirst()
                                .orElse(topology.source()),
                        "topology",
                        CheckResult.Verdict.WARN,
                        problem + " (a deploy would refuse this file today)",
                        ""))
                .toList();
    }

    private Report run(
            String subject,
            Topology topology,
            Hosts hosts,
            boolean deployed,
            boolean apply,
            Predicate<String> selected,
            Progress progress) {
        Map<String, List<CheckResult>> byHost = new ConcurrentHashMap<>();
        Map<String, String> sources = checkSources(topology);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String host : topology.hosts()) {
                threads.submit(() -> {
                    progress.started(host);
                    List<CheckResult> rows;
                    try {
                        List<Instance> onHost = topology.instances().stream()
                                .filter(instance -> instance.host().equals(host))
                                .toList();
                        rows = new HostCheck(
                                        hosts.apply(host),
                                        topology.global().user(),
                                        onHost,
                                        catalog::kind,
                                        topology::componentSource,
                                        deployed)
                                .run(apply, selected).stream()
                                        .map(row -> withSource(row, sources))
                                        .collect(Collectors.toCollection(ArrayList::new));
                        if (deployed && selected.test(AgentCertificateCheck.CHECK)) {
                            rows.add(AgentCertificateCheck.check(
                                    hosts.apply(host),
                                    ClusterContext.agentDir(topology, subject),
                                    subject,
                                    Instant.now()));
                        }
                    } catch (RuntimeException e) {
                        rows = List.of(new CheckResult(
                                host, "ssh", CheckResult.Verdict.FAIL, String.valueOf(e.getMessage()), ""));
                    }
                    byHost.put(host, rows);
                    progress.finished(host, rows);
                });
            }
        }
        List<CheckResult> rows = new ArrayList<>();
        topology.hosts().forEach(host -> rows.addAll(byHost.get(host)));
        return new Report(subject, List.copyOf(topology.hosts()), rows);
    }

    /** Each tarball or mirror source fetched and its checksum checked once, for every host's row: the outcome by component. */
    private Map<String, String> checkSources(Topology topology) {
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (String component : topology.instances().stream()
                .map(Instance::component)
                .distinct()
                .toList()) {
            if (topology.componentSource(component) instanceof ComponentSource.System) {
                continue;
            }
            try {
                SourceTarball tarball = SourceTarball.fetch(
                        topology,
                        component,
                        Path.of(catalog.kind(component).binary()).getFileName().toString(),
                        topology.global().arch(),
                        home.cache());
                outcomes.put(component, "ok:" + tarball.origin() + ", sha256 " + tarball.sha256());
            } catch (OperationException e) {
                outcomes.put(component, "fail:" + e.getMessage());
            }
        }
        return outcomes;
    }

    private static CheckResult withSource(CheckResult row, Map<String, String> sources) {
        if (!row.check().startsWith("source ")) {
            return row;
        }
        String outcome = sources.get(row.check().substring("source ".length()));
        if (outcome == null) {
            return row;
        }
        return outcome.startsWith("ok:")
                ? new CheckResult(
                        row.host(), row.check(), row.verdict(), outcome.substring(3) + " checked", row.fixed())
                : new CheckResult(row.host(), row.check(), CheckResult.Verdict.FAIL, outcome.substring(5), row.fixed());
    }

    public boolean exists(String name) {
        return home.cluster(name).exists();
    }
}
