package io.flotilla.plan;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.AgentException;
import io.flotilla.catalog.Bootstrap;
import io.flotilla.catalog.ComponentKind;
import io.flotilla.catalog.InstanceContext;
import io.flotilla.catalog.Support;
import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.exec.ListeningPorts;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.OperationName;
import io.flotilla.step.Plan;
import io.flotilla.step.Step;
import io.flotilla.step.Task;
import io.flotilla.topology.ComponentSource;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Compiles cluster operations into plans. Every action checks before it acts, so a plan that
 * was cut short (a crash, {@code kill -9}, a lost host) finishes when it runs again.
 */
public final class ClusterPlanner {
    private static final Duration BOOTSTRAP_TIMEOUT = Duration.ofMinutes(5);

    private final ClusterContext cluster;
    private final AgentSteps agents;

    public ClusterPlanner(ClusterContext cluster) {
        this.cluster = cluster;
        this.agents = new AgentSteps(cluster);
    }

    /** The steps of the cluster's agents. */
    AgentSteps agents() {
        return agents;
    }

    /**
     * Checks the hosts, installs and starts the agents, writes every instance's files and bootstraps
     * its data. Starts no instance. Each host goes at its own pace: its agent is installed and started
     * while its instances' files are written and their data bootstrapped (which needs no agent), and
     * the instances are handed to the agent once both are done. Installing (files) and starting (a JVM)
     * the agent are separate steps, so that each shows its own time.
     */
    public Plan deploy() {
        return deploy(false);
    }

    /**
     * The deploy plan; with {@code preflighted}, this run already checked every host ({@link
     * #checkHosts}) and the plan's checks pass at once, so that a host is checked once per deploy. A
     * resumed deploy checks them again.
     */
    public Plan deploy(boolean preflighted) {
        Topology topology = cluster.topology();
        List<Step> hosts = topology.hosts().stream()
                .map(host -> {
                    List<Instance> onHost = topology.instances().stream()
                            .filter(instance -> instance.host().equals(host))
                            .toList();
                    Step agent = Step.serial(
                            "agent on " + host, List.of(agents.prepareHost(host), agents.startStep("deploy", host)));
                    Step instances = Step.parallel(
                            "instances on " + host,
                            onHost.stream().map(this::deployInstance).toList());
                    Step register = Step.parallel(
                            "hand the instances on %s to its agent".formatted(host),
                            onHost.stream().map(this::registerInstance).toList());
                    return (Step) Step.serial(
                            "host " + host,
                            List.of(Step.parallel("prepare " + host, List.of(agent, instances)), register));
                })
                .toList();
        return Plan.builder(OperationName.DEPLOY, cluster.name())
                .then(Step.parallel(
                        "Check hosts",
                        topology.hosts().stream()
                                .map(host ->
                                        Step.action("deploy/check/" + host, "check %s".formatted(host), host, () -> {
                                            if (!preflighted) {
                                                preflight(host);
                                            }
                                        }))
                                .toList()))
                .then(Step.action(
                        "deploy/agent-runtime",
                        "build the agent's Java runtime (once, then cached)",
                        "localhost",
                        () -> cluster.agentRuntime().image()))
                .then(Step.parallel("Deploy agents and instances, each host at its own pace", hosts))
                .build();
    }

    public Plan start(Selection selection) {
        Plan.Builder plan = planFor(OperationName.START, selection);
        for (List<String> layer : cluster.catalog().startLayers(cluster.topology())) {
            List<Step> tiers = new ArrayList<>();
            for (String tier : layer) {
                List<Instance> instances = selected(tier, selection);
                if (instances.isEmpty()) {
                    continue;
                }
                tiers.add(startTier(
                        tier,
                        instances.stream().map(this::launch).toList(),
                        instances.stream().map(this::awaitReady).toList()));
            }
            if (!tiers.isEmpty()) {
                plan.then(Step.parallel("Start " + String.join(", ", layer), tiers));
            }
        }
        return plan.build();
    }

    public Plan stop(Selection selection) {
        return planFor(OperationName.STOP, selection)
                .thenAll(stopSteps("stop", selection))
                .build();
    }

    public Plan restart(Selection selection) {
        Plan.Builder plan = planFor(OperationName.RESTART, selection);
        plan.thenAll(stopSteps("restart", selection));
        Plan start = start(selection);
        start.steps().stream().skip(1).forEach(plan::then);
        return plan.build();
    }

    /**
     * A rolling restart: one instance at a time, in reverse start order (MariaDB replicas before their
     * primary), each ready again before the next one stops. It applies settings that were written to
     * the instances' option files (by {@code SET CONFIG} on a static variable) without taking the
     * whole cluster down.
     */
    public Plan reload(Selection selection) {
        Plan.Builder plan = planFor(OperationName.RELOAD, selection);
        List<List<String>> layers = new ArrayList<>(cluster.catalog().startLayers(cluster.topology()));
        Collections.reverse(layers);
        for (List<String> layer : layers) {
            for (String tier : layer.reversed()) {
                for (Instance instance : selected(tier, selection)) {
                    plan.then(Step.serial(
                            "Reload %s %s".formatted(instance.component(), instance.id()),
                            List.of(stopStep("reload", instance), launch(instance), awaitReady(instance))));
                }
            }
        }
        return plan.build();
    }

    /**
     * Gives every agent a certificate of a new CA, one host at a time so that at most one agent is
     * restarting, then makes that CA the cluster's with {@code replaceCa}. The context trusts and issues
     * from the new CA alone ({@link ClusterTls#of(String, io.flotilla.tls.CertificateAuthority)}); its
     * id names the steps, so that a run resumes only a rotation to the same CA.
     */
    public Plan rotateTls(String caId, Task replaceCa) {
        return Plan.builder(OperationName.TLS_ROTATE, cluster.name())
                .then(Step.action(
                        "tls-rotate/%s/agent-runtime".formatted(caId),
                        "build the agent's Java runtime (once, then cached)",
                        "localhost",
                        () -> cluster.agentRuntime().image()))
                .then(Step.serial(
                        "New agent certificates, one host at a time",
                        cluster.topology().hosts().stream()
                                .map(host -> agents.rotateStep(caId, host))
                                .toList()))
                .then(Step.action(
                        "tls-rotate/%s/replace-ca".formatted(caId),
                        "make the new CA the cluster's; the old one is trusted no more",
                        "localhost",
                        replaceCa))
                .build();
    }

    /** Stops everything, then removes every instance's directories and the agents. */
    public Plan destroy() {
        Topology topology = cluster.topology();
        Plan.Builder plan = Plan.builder(OperationName.DESTROY, cluster.name());
        plan.then(agents.ensureAgents("destroy"));
        plan.thenAll(stopSteps("destroy", Selection.ALL));
        plan.then(removeInstances("destroy", topology.instances()));
        plan.then(agents.removeAgents("destroy", topology.hosts()));
        return plan.build();
    }

    /**
     * Removes the instances' directories, and each from its agent; they were stopped before. A dir
     * that holds one of an instance that stays is refused.
     */
    Step removeInstances(String operation, List<Instance> instances) {
        List<Instance> stays = cluster.topology().instances().stream()
                .filter(instance -> !instances.contains(instance))
                .toList();
        return Step.parallel(
                "Remove instances",
                instances.stream()
                        .map(instance -> onInstance(
                                operation + "/remove", "remove", instance, () -> removeInstance(instance, stays)))
                        .toList());
    }

    /** The beginning of a plan over the selected instances: the selection checked, then every agent reached. */
    private Plan.Builder planFor(OperationName operation, Selection selection) {
        selection.check(cluster.topology());
        return Plan.builder(operation, cluster.name()).then(agents.ensureAgents(operation.label()));
    }

    private List<Instance> selected(String tier, Selection selection) {
        return cluster.catalog().instancesOf(cluster.topology(), tier).stream()
                .filter(selection::matches)
                .toList();
    }

    private List<Step> stopSteps(String operation, Selection selection) {
        List<List<String>> layers = new ArrayList<>(cluster.catalog().startLayers(cluster.topology()));
        Collections.reverse(layers);
        List<Step> steps = new ArrayList<>();
        for (List<String> layer : layers) {
            List<Step> stops = new ArrayList<>();
            for (String tier : layer.reversed()) {
                for (Instance instance : selected(tier, selection)) {
                    stops.add(stopStep(operation, instance));
                }
            }
            if (!stops.isEmpty()) {
                steps.add(Step.parallel("Stop " + String.join(", ", layer), stops));
            }
        }
        return steps;
    }

    private Step.Action stopStep(String operation, Instance instance) {
        return onInstance(operation + "/stop", "stop", instance, () -> stopInstance(operation, instance));
    }

    /**
     * An action on one instance, run on its host: {@code <path>/<id>} in the journal and {@code <verb>
     * <component> <id>} on screen.
     */
    static Step.Action onInstance(String path, String verb, Instance instance, Task task) {
        return Step.action(
                path + "/" + instance.id(),
                "%s %s %s".formatted(verb, instance.component(), instance.id()),
                instance.host(),
                task);
    }

    /** Checks every host at once, before anything is written, and reports every problem found. */
    public void checkHosts() {
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String host : cluster.topology().hosts()) {
                threads.submit(() -> {
                    try {
                        preflight(host);
                    } catch (RuntimeException e) {
                        problems.add(e.getMessage());
                    }
                });
            }
        }
        if (!problems.isEmpty()) {
            throw new OperationException(
                    ErrorCode.PREFLIGHT,
                    String.join("\n", problems.stream().sorted().toList()));
        }
    }

    void preflight(String host) {
        Executor executor = cluster.executor(host);
        List<String> problems = new ArrayList<>();
        Set<String> checkedBinaries = new LinkedHashSet<>();
        List<Instance> onHost = cluster.topology().instances().stream()
                .filter(instance -> instance.host().equals(host))
                .toList();
        for (Instance instance : onHost) {
            checkProgram(executor, instance, checkedBinaries, problems);
        }
        problems.addAll(cluster.dirs().problems(executor, onHost));
        // The agent brings its own Java; unpacking it takes tar and gzip, which every Debian host has unless removed.
        for (String tool : List.of("tar", "gzip")) {
            if (!executor.run(List.of("sh", "-c", "command -v " + tool), Duration.ofSeconds(10))
                    .succeeded()) {
                problems.add(
                        "%s is missing on %s; the agent's Java runtime is unpacked with it: install the Debian package %s"
                                .formatted(tool, host, tool));
            }
        }
        // A new cluster has no CA yet: no agent of it can answer.
        if (cluster.tls().trusted().isEmpty() || agents.agentAnswers(host).isEmpty()) {
            ListeningPorts listening = ListeningPorts.of(executor);
            listening
                    .owner(cluster.agentPort(host))
                    .ifPresent(owner ->
                            problems.add("agent port %d on %s is in use by %s; free it or deploy under another name"
                                    .formatted(cluster.agentPort(host), host, owner)));
            for (Instance instance : onHost) {
                checkPorts(listening, instance, problems);
            }
        }
        if (!problems.isEmpty()) {
            throw new OperationException(
                    ErrorCode.PREFLIGHT,
                    "host %s is not ready for the cluster:\n  %s".formatted(host, String.join("\n  ", problems)));
        }
    }

    /**
     * Adds a problem when the instance's program cannot run on its host: a component Flotilla only
     * describes, a tarball that cannot be fetched or fails its checksum (checked here, before any host
     * changes), or an installed binary that is missing ({@code checkedBinaries} asks once per binary).
     */
    void checkProgram(Executor executor, Instance instance, Set<String> checkedBinaries, List<String> problems) {
        ComponentKind kind = cluster.kind(instance);
        if (kind.support() instanceof Support.DescribedOnly described) {
            problems.add("%s %s: Flotilla does not run %s yet: %s"
                    .formatted(instance.component(), instance.id(), instance.component(), described.reason()));
            return;
        }
        if (!(cluster.topology().componentSource(instance.component()) instanceof ComponentSource.System)) {
            try {
                cluster.tarball(instance.component());
            } catch (OperationException e) {
                problems.add("%s %s: %s".formatted(instance.component(), instance.id(), e.getMessage()));
            }
        } else if (checkedBinaries.add(kind.binary()) && !executor.exists(kind.binary())) {
            problems.add("%s %s: %s is missing on %s; install the Debian package %s"
                    .formatted(
                            instance.component(), instance.id(), kind.binary(), instance.host(), kind.binaryPackage()));
        }
    }

    /** Adds a problem for every port of the instance that something on its host already listens on. */
    static void checkPorts(ListeningPorts listening, Instance instance, List<String> problems) {
        for (Map.Entry<String, Integer> port : instance.ports().entrySet()) {
            listening
                    .owner(port.getValue())
                    .ifPresent(
                            owner -> problems.add("%s %s: %s %d is in use by %s; change it in %s or stop that process"
                                    .formatted(
                                            instance.component(),
                                            instance.id(),
                                            port.getKey(),
                                            port.getValue(),
                                            owner,
                                            instance.position())));
        }
    }

    /**
     * Stops an instance, also one its agent no longer knows (see {@link #onAgent}); one it does not
     * know and keeps no pid file for runs nothing. Destroy also accepts an agent that was never
     * installed, and a spec the agent refuses (it never ran it).
     */
    void stopInstance(String operation, Instance instance) {
        if (operation.equals("destroy") && !agents.agentInstalled(instance.host())) {
            return;
        }
        try {
            onAgent(instance, agent -> agent.stop(instance.id()));
        } catch (AgentException e) {
            // An agent that does not know the instance and keeps no pid file for it runs nothing of it.
            boolean unknown = e.code() == AgentException.Code.UNKNOWN_INSTANCE;
            boolean neverRan = operation.equals("destroy") && e.code() == AgentException.Code.BAD_SPEC;
            if (!unknown && !neverRan) {
                throw e;
            }
        }
    }

    /**
     * Makes {@code call} to the instance's agent. An agent that answers that it does not know the
     * instance (it set a damaged instance file aside, or the file is lost, while the instance's
     * process may still run) is given the instance's spec from the topology and asked again: it then
     * finds that process by its pid file, and takes it only when it is the one it launched for the
     * instance. The agent is never asked to act on a process without a spec to check it against.
     * Without a pid file there is no process to find, and the agent is left as it is.
     */
    private void onAgent(Instance instance, Consumer<AgentClient> call) {
        AgentClient agent = cluster.agent(instance.host());
        try {
            call.accept(agent);
        } catch (AgentException e) {
            if (e.code() != AgentException.Code.UNKNOWN_INSTANCE || !hasPidFile(instance)) {
                throw e;
            }
            agent.put(cluster.spec(instance));
            call.accept(agent);
        }
    }

    /** Whether the instance's agent keeps a pid file for it ({@code run/ID.pid}, {@code :} as {@code _}). */
    private boolean hasPidFile(Instance instance) {
        Path file = cluster.agentDir(instance.host())
                .resolve("run")
                .resolve(instance.id().replace(':', '_') + ".pid");
        return cluster.executor(instance.host()).exists(file.toString());
    }

    Step.Action deployInstance(Instance instance) {
        return onInstance("deploy/instance", "deploy", instance, () -> {
            Executor executor = cluster.executor(instance.host());
            ComponentKind kind = cluster.kind(instance);
            InstanceContext context = cluster.instanceContext(instance);
            Path deploy = Path.of(instance.deployDir());
            cluster.dirs().claim(executor, instance);
            for (String sub : List.of("conf", "run", "scripts", "tmp")) {
                executor.mkdirs(deploy.resolve(sub).toString(), "0755");
            }
            cluster.tarball(instance.component())
                    .ifPresent(tarball ->
                            tarball.install(executor, deploy.resolve("bin").toString()));
            for (Map.Entry<String, String> file : kind.configFiles(context).entrySet()) {
                executor.put(
                        deploy.resolve(file.getKey()).toString(),
                        file.getValue().getBytes(StandardCharsets.UTF_8),
                        "0644");
            }
            Optional<Bootstrap> bootstrap = kind.bootstrap(context, cluster.secrets());
            if (bootstrap.isPresent() && !executor.exists(bootstrap.get().marker())) {
                runBootstrap(executor, instance, bootstrap.get());
            }
        });
    }

    /** Tells the host's agent about an instance whose files are in place, so that it can start it. */
    Step.Action registerInstance(Instance instance) {
        return Step.action(
                "deploy/register/" + instance.id(),
                "hand %s %s to the agent".formatted(instance.component(), instance.id()),
                instance.host(),
                () -> cluster.agent(instance.host()).put(cluster.spec(instance)));
    }

    /**
     * Runs the bootstrap "$2..." in a process group of its own, and leaves in the file "$1" the
     * group's id and its leader's start time, so that a later run finds what this one started, and
     * only that.
     */
    private static final String IN_OWN_GROUP = """
            pidfile=$1; shift
            exec setsid --wait sh -c 'echo "$$ $(cut -d " " -f 22 /proc/$$/stat)" > "$0"; exec "$@"' "$pidfile" "$@"
            """;

    /**
     * Kills, and waits for, the whole process group a bootstrap of an earlier run left (the file "$1"
     * names it), unless its leader is alive with another start time: then the id is another
     * process's now. Fails when the group outlives 10 s.
     */
    private static final String KILL_OWN_BOOTSTRAP = """
            pidfile=$1
            [ -f "$pidfile" ] || exit 0
            read -r group started < "$pidfile" || true
            case "$group" in ''|*[!0-9]*) rm -f -- "$pidfile"; exit 0 ;; esac
            if [ -r "/proc/$group/stat" ] && [ "$(cut -d ' ' -f 22 "/proc/$group/stat")" != "$started" ]; then
              rm -f -- "$pidfile"; exit 0
            fi
            for attempt in $(seq 1 40); do
              kill -0 "-$group" 2>/dev/null || { rm -f -- "$pidfile"; exit 0; }
              kill -9 "-$group" 2>/dev/null
              sleep 0.25
            done
            echo "the bootstrap's process group $group is still there after 10 s" >&2
            exit 1
            """;

    /**
     * Initialises an instance's data once. A bootstrap cut short leaves a partial data dir with
     * no marker: it never held data anyone wrote, so it is emptied (keeping the mark that it is this
     * cluster's) and the bootstrap runs again.
     */
    private void runBootstrap(Executor executor, Instance instance, Bootstrap bootstrap) {
        // A CLI killed mid-bootstrap leaves its bootstrap running (mariadbd --bootstrap keeps writing):
        // it must be gone before the data dir is emptied, or both write into the new one.
        String pidFile = Path.of(instance.deployDir(), "run", "bootstrap.pid").toString();
        CommandResult killed = executor.run(
                List.of("sh", "-c", KILL_OWN_BOOTSTRAP, "flotilla-bootstrap", pidFile), Duration.ofSeconds(30));
        if (!killed.succeeded()) {
            throw new OperationException(
                    ErrorCode.BOOTSTRAP,
                    killed.failure(
                            "%s %s: an earlier bootstrap could not be stopped"
                                    .formatted(instance.component(), instance.id()),
                            List.of("kill")));
        }
        cluster.dirs().empty(executor, instance, bootstrap.dataDir());
        bootstrap
                .secretFiles()
                .forEach((path, content) -> executor.put(path, content.getBytes(StandardCharsets.UTF_8), "0600"));
        try {
            List<String> command = new ArrayList<>(List.of("sh", "-c", IN_OWN_GROUP, "flotilla-bootstrap", pidFile));
            command.addAll(bootstrap.command());
            var result = executor.run(command, BOOTSTRAP_TIMEOUT);
            if (!result.succeeded()) {
                throw new OperationException(
                        ErrorCode.BOOTSTRAP,
                        result.failure(
                                "%s %s: initialising its data failed".formatted(instance.component(), instance.id()),
                                bootstrap.command()));
            }
            executor.put(bootstrap.marker(), new byte[0], "0644");
            // A failed bootstrap keeps it: what it may have left running is stopped by the next run.
            executor.remove(pidFile);
        } finally {
            bootstrap.secretFiles().keySet().forEach(executor::remove);
        }
    }

    Step.Action launch(Instance instance) {
        return onInstance("start/launch", "launch", instance, () -> {
            AgentClient agent = cluster.agent(instance.host());
            agent.put(cluster.spec(instance));
            agent.start(instance.id());
        });
    }

    /** Starting one tier: all its instances launched side by side, then all waited for. */
    static Step startTier(String tier, List<? extends Step> launches, List<? extends Step> waits) {
        return Step.serial(
                "Start " + tier,
                List.of(Step.parallel("launch " + tier, launches), Step.parallel("wait for " + tier, waits)));
    }

    Step.Action awaitReady(Instance instance) {
        ComponentKind kind = cluster.kind(instance);
        return onInstance("start/ready", "wait for", instance, () -> {
            AgentClient agent = cluster.agent(instance.host());
            InstanceContext context = cluster.instanceContext(instance);
            Readiness.await(agent, instance, kind.serving(context), kind.readyTimeout(), "did not serve");
            kind.configure(context, agent);
            Readiness.await(agent, instance, kind.readiness(context), kind.readyTimeout(), "did not become ready");
        });
    }

    private void removeInstance(Instance instance, List<Instance> stays) {
        Executor executor = cluster.executor(instance.host());
        try {
            onAgent(instance, agent -> agent.remove(instance.id()));
        } catch (AgentException ignored) {
            // The agent is already gone; its processes were stopped before this step.
        }
        cluster.dirs().remove(executor, instance, stays);
    }
}
