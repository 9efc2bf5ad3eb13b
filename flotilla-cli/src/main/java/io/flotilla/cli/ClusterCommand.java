package io.flotilla.cli;

import io.flotilla.catalog.Catalog;
import io.flotilla.engine.AuditLog;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.engine.Journal;
import io.flotilla.exec.CommandResult;
import io.flotilla.operations.ClusterCheck;
import io.flotilla.operations.ClusterManager;
import io.flotilla.operations.ClusterView;
import io.flotilla.operations.SshLogin;
import io.flotilla.plan.CheckResult;
import io.flotilla.plan.Selection;
import io.flotilla.sql.session.Account;
import io.flotilla.sql.session.SqlEndpoint;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.Topology;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "Deploy and operate clusters, on this machine or on hosts reached over SSH.",
        subcommands = {
            ClusterCommand.Deploy.class,
            ClusterCommand.Start.class,
            ClusterCommand.Stop.class,
            ClusterCommand.Restart.class,
            ClusterCommand.Reload.class,
            ClusterCommand.Display.class,
            ClusterCommand.ListClusters.class,
            ClusterCommand.Destroy.class,
            ClusterCommand.Exec.class,
            ClusterCommand.Check.class,
            ClusterCommand.ScaleOutCommand.class,
            ClusterCommand.ScaleInCommand.class,
            ClusterCommand.SwitchoverCommand.class,
            ClusterCommand.Password.class,
            ClusterCommand.Audit.class
        })
final class ClusterCommand {
    @ParentCommand
    private FlotillaCommand parent;

    Output output() {
        return parent.output();
    }

    @Command(
            name = "deploy",
            mixinStandardHelpOptions = true,
            description = {
                "Check the hosts, install the agents, write every instance's files and initialise its data.",
                "Starts nothing: run `flotilla cluster start NAME` next. Re-running a deploy that was cut short finishes it.",
                "Other hosts are reached with --user and -i KEY, -p or --password-file. Unless --user is the deploy user"
                        + " (global.user, default tidb), it creates that user on each host, authorizes the cluster's own key"
                        + " for it and gives it the cluster's folders; every later command logs in as it, without sudo.",
                "Hosts need no Java: the agent's own runtime (jlink, built once and cached in $FLOTILLA_CACHE) goes with it.",
                "Where a host runs systemd, the bootstrap turns on lingering for the deploy user and the agent is that"
                        + " user's unit flotilla-agent-NAME.service (restarted when it dies, started at boot); elsewhere it runs detached.",
                "Tarballs named in component_sources are fetched and their sha256 checked before any host is changed."
            })
    static final class Deploy implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Parameters(index = "0", paramLabel = "NAME", description = "The cluster's name.")
        private String name;

        @Parameters(index = "1", paramLabel = "FILE", description = "The topology file.")
        private Path file;

        @Option(
                names = {"-y", "--yes"},
                description = "Deploy without asking for confirmation.")
        private boolean yes;

        @Option(
                names = "--dry-run",
                description = "Print the plan and change nothing; with --user other than the deploy user, the plan"
                        + " of its bootstrap first.")
        private boolean dryRun;

        @Mixin
        private SshLoginOptions sshLogin;

        @Override
        public Integer call() throws Exception {
            Output output = parent.output();
            ClusterManager clusters = Services.clusters(output);
            String yaml = Files.readString(file);
            SshLogin ssh = sshLogin.login(Optional.empty());
            if (dryRun) {
                clusters.deployPlan(name, file, yaml, ssh)
                        .forEach(plan -> output.out().print(plan.render()));
                return 0;
            }
            Topology topology = clusters.checkTopology(name, file, yaml, ssh);
            if (!yes) {
                requireTerminal();
                output.out().printf("Cluster '%s' will be deployed:%n%n", name);
                output.out().print(ClusterCommand.instanceTable(topology));
                if (!confirm(output, "Deploy it?")) {
                    output.err().println("Nothing was changed.");
                    return 1;
                }
            }
            clusters.deploy(
                    name,
                    file,
                    yaml,
                    Services.commandLine("cluster", "deploy", name, file.toString()),
                    ClusterManager.DEFAULT_AGENT_PORT,
                    ssh);
            output.out().printf("Cluster '%s' deployed. Start it with: flotilla cluster start %s%n", name, name);
            return 0;
        }
    }

    static String instanceTable(Topology topology) {
        return instanceTable(topology.instances());
    }

    static String instanceTable(List<io.flotilla.topology.Instance> instances) {
        List<List<String>> rows = new ArrayList<>();
        instances.forEach(instance -> rows.add(List.of(
                instance.component(),
                instance.host(),
                String.join(
                        "/",
                        instance.ports().values().stream().map(String::valueOf).toList()),
                instance.deployDir(),
                instance.dataDir() == null ? "-" : instance.dataDir())));
        return Output.table(List.of("Type", "Host", "Ports", "Deploy dir", "Data dir"), rows);
    }

    static void requireTerminal() {
        if (System.console() == null) {
            throw new OperationException(
                    ErrorCode.NEEDS_CONFIRMATION,
                    "standard input is not a terminal; add --yes to go on without a prompt");
        }
    }

    static boolean confirm(Output output, String question) throws IOException {
        output.out().printf("%n%s [y/N] ", question);
        output.out().flush();
        String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return answer != null && (answer.equalsIgnoreCase("y") || answer.equalsIgnoreCase("yes"));
    }

    /** Runs start, stop, restart or destroy with the shared options. */
    abstract static class Lifecycle implements Callable<Integer> {
        @ParentCommand
        ClusterCommand parent;

        @Parameters(index = "0", paramLabel = "NAME", description = "The cluster's name.")
        String name;

        @Option(names = "--dry-run", description = "Print the plan and change nothing.")
        boolean dryRun;

        abstract String operation();

        Selection selection() {
            return Selection.ALL;
        }

        List<String> words() {
            return List.of("cluster", operation(), name);
        }

        @Override
        public Integer call() {
            Output output = parent.output();
            ClusterManager clusters = Services.clusters(output);
            if (dryRun) {
                output.out().print(clusters.plan(name, operation(), selection()).render());
                return 0;
            }
            Journal journal =
                    clusters.run(name, operation(), selection(), Services.commandLine(words().toArray(String[]::new)));
            done(output, journal);
            return 0;
        }

        void done(Output output, Journal journal) {
            output.out().printf("Cluster '%s': %s done (operation %s).%n", name, operation(), journal.operationId());
        }
    }

    abstract static class Selective extends Lifecycle {
        @Option(
                names = {"-R", "--role"},
                split = ",",
                paramLabel = "ROLE",
                description = "Only instances of these roles (mariadb, haproxy, prometheus, ...).")
        List<String> roles = List.of();

        @Option(
                names = {"-N", "--node"},
                split = ",",
                paramLabel = "HOST:PORT",
                description = "Only these instances.")
        List<String> nodes = List.of();

        @Override
        Selection selection() {
            return new Selection(Set.copyOf(roles), Set.copyOf(nodes));
        }

        @Override
        List<String> words() {
            List<String> words = new ArrayList<>(super.words());
            if (!roles.isEmpty()) {
                words.add("-R");
                words.add(String.join(",", roles));
            }
            if (!nodes.isEmpty()) {
                words.add("-N");
                words.add(String.join(",", nodes));
            }
            return words;
        }
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description = "Start the cluster in dependency order, waiting for each tier to be ready before the next.")
    static final class Start extends Selective {
        @Override
        String operation() {
            return "start";
        }

        @Override
        void done(Output output, Journal journal) {
            super.done(output, journal);
            ClusterManager clusters = Services.clusters(output);
            ClusterView view = clusters.display(name);
            view.endpoints().forEach((key, value) -> output.out().printf("  %-12s %s%n", key, value));
        }
    }

    @Command(
            name = "stop",
            mixinStandardHelpOptions = true,
            description = "Stop the cluster in reverse dependency order.")
    static final class Stop extends Selective {
        @Override
        String operation() {
            return "stop";
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true, description = "Stop, then start, in dependency order.")
    static final class Restart extends Selective {
        @Override
        String operation() {
            return "restart";
        }
    }

    @Command(
            name = "reload",
            mixinStandardHelpOptions = true,
            description =
                    "Rolling restart: one instance at a time, replicas before their primary, each ready before the next stops. Applies settings SET CONFIG wrote for the next start.")
    static final class Reload extends Selective {
        @Override
        String operation() {
            return "reload";
        }
    }

    @Command(
            name = "destroy",
            mixinStandardHelpOptions = true,
            description =
                    "Stop the cluster and remove every file of it: instances, data, agents (and their systemd units) and its state. The audit log keeps its history.")
    static final class Destroy extends Lifecycle {
        @Option(
                names = {"-y", "--yes"},
                description = "Required: destroying deletes the cluster's data.")
        boolean yes;

        @Override
        String operation() {
            return "destroy";
        }

        @Override
        public Integer call() {
            if (!yes && !dryRun) {
                throw new OperationException(
                        ErrorCode.NEEDS_CONFIRMATION,
                        "destroying cluster '%s' deletes all its data; add --yes to go on".formatted(name));
            }
            return super.call();
        }

        @Override
        void done(Output output, Journal journal) {
            output.out().printf("Cluster '%s' destroyed.%n", name);
        }
    }

    @Command(
            name = "display",
            mixinStandardHelpOptions = true,
            description = "Show every instance's status, asked of the agents.")
    static final class Display implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Parameters(paramLabel = "NAME", description = "The cluster's name.")
        private String name;

        @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
        private Format format;

        @Override
        public Integer call() {
            Output output = parent.output();
            ClusterManager clusters = Services.clusters(output);
            ClusterView view = clusters.display(name);
            Map<String, Object> json = displayJson(view);
            Map<String, String> endpoints =
                    sqlEndpoint(view, clusters.home().cluster(name).dir());
            json.put("endpoints", endpoints);
            if (format == Format.json) {
                output.json(json);
                return 0;
            }
            output.out().printf("Cluster: %s%n", view.name());
            endpoints.forEach((key, value) -> output.out().printf("%s: %s%n", key, value));
            output.out().println();
            List<List<String>> rows = new ArrayList<>();
            for (ClusterView.InstanceView instance : view.instances()) {
                rows.add(List.of(
                        instance.id(),
                        instance.role(),
                        instance.host(),
                        String.join(
                                "/",
                                instance.ports().stream().map(String::valueOf).toList()),
                        instance.status(),
                        instance.deployDir(),
                        instance.dataDir() == null ? "-" : instance.dataDir()));
            }
            output.out()
                    .print(Output.table(
                            List.of("ID", "Role", "Host", "Ports", "Status", "Deploy dir", "Data dir"), rows));
            view.instances().stream()
                    .filter(instance -> !instance.detail().isEmpty())
                    .forEach(instance ->
                            output.out().printf("%s %s: %s%n", instance.id(), instance.status(), instance.detail()));
            return 0;
        }
    }

    /** The cluster's endpoints, with {@code sql} while a process serves its SQL endpoint. */
    static Map<String, String> sqlEndpoint(ClusterView view, Path clusterDir) {
        Map<String, String> endpoints = new LinkedHashMap<>(view.endpoints());
        SqlEndpoint.running(clusterDir).ifPresent(endpoint -> endpoints.put("sql", endpoint.address()));
        return endpoints;
    }

    static Map<String, Object> displayJson(ClusterView view) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", view.name());
        json.put(
                "instances",
                view.instances().stream()
                        .map(instance -> {
                            Map<String, Object> each = new LinkedHashMap<>();
                            each.put("id", instance.id());
                            each.put("role", instance.role());
                            each.put("host", instance.host());
                            each.put("port", instance.port());
                            each.put("ports", instance.ports());
                            each.put("status", instance.status());
                            each.put("deploy_dir", instance.deployDir());
                            each.put("data_dir", instance.dataDir());
                            if (!instance.detail().isEmpty()) {
                                each.put("detail", instance.detail());
                            }
                            return each;
                        })
                        .toList());
        json.put("endpoints", view.endpoints());
        return json;
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List the clusters managed from this machine.")
    static final class ListClusters implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
        private Format format;

        @Override
        public Integer call() {
            Output output = parent.output();
            List<ClusterStore> stores = Services.clusters(output).list();
            List<Map<String, Object>> clusters = new ArrayList<>();
            for (ClusterStore store : stores) {
                var meta = store.meta();
                Map<String, Object> each = new LinkedHashMap<>();
                each.put("name", store.name());
                each.put("status", meta.status());
                each.put("created", meta.createdAt());
                each.put("path", store.dir().toString());
                clusters.add(each);
            }
            if (format == Format.json) {
                output.json(Map.of("clusters", clusters));
            } else {
                output.out()
                        .print(Output.table(
                                List.of("Name", "State", "Created", "Path"),
                                clusters.stream()
                                        .map(each -> each.values().stream()
                                                .map(String::valueOf)
                                                .toList())
                                        .toList()));
            }
            return 0;
        }
    }

    @Command(
            name = "password",
            mixinStandardHelpOptions = true,
            description = {
                "Print the cluster's root password, generated at deploy and kept in its 0600 secret store; with",
                "--read-only, the password of the SQL user flotilla_ro (`flotilla serve --cluster NAME`), generated",
                "on first use and kept 0600 in the cluster's folder."
            })
    static final class Password implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Parameters(paramLabel = "NAME", description = "The cluster's name.")
        private String name;

        @Option(names = "--read-only", description = "The password of the read-only SQL user flotilla_ro.")
        private boolean readOnly;

        @Override
        public Integer call() {
            Output output = parent.output();
            ClusterManager clusters = Services.clusters(output);
            String rootPassword = clusters.secrets(name).rootPassword();
            output.out()
                    .println(
                            readOnly
                                    ? ServeCommand.clusterPasswords(
                                                    clusters.home().cluster(name))
                                            .password(Account.READ_ONLY)
                                    : rootPassword);
            return 0;
        }
    }

    @Command(
            name = "audit",
            mixinStandardHelpOptions = true,
            description = "List every operation run from this machine, or show one with its steps.")
    static final class Audit implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Parameters(arity = "0..1", paramLabel = "ID", description = "An operation id from the list.")
        private String id;

        @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
        private Format format;

        @Override
        public Integer call() throws Exception {
            Output output = parent.output();
            AuditLog audit = Services.clusters(output).home().audit();
            List<AuditLog.Entry> entries = audit.entries();
            if (id == null) {
                if (format == Format.json) {
                    output.json(Map.of("operations", entries));
                } else {
                    output.out()
                            .print(Output.table(
                                    List.of("ID", "Cluster", "Started", "Result", "Command"),
                                    entries.stream()
                                            .map(entry -> List.of(
                                                    entry.id(),
                                                    entry.cluster(),
                                                    entry.started(),
                                                    entry.result().isEmpty() ? "interrupted" : entry.result(),
                                                    entry.command()))
                                            .toList()));
                }
                return 0;
            }
            AuditLog.Entry entry = entries.stream()
                    .filter(each -> each.id().equals(id))
                    .findFirst()
                    .orElseThrow(() -> new OperationException(
                            ErrorCode.NO_OPERATION,
                            "no operation '%s' in the audit log; `flotilla cluster audit` lists them".formatted(id)));
            Path journal = audit.journal(id);
            List<String> steps = new ArrayList<>();
            if (Files.exists(journal)) {
                for (var event : Journal.events(journal)) {
                    String kind = event.path("event").asString("");
                    String step = event.path("step").asString("");
                    String error = event.path("error").asString("");
                    steps.add("%s %-8s %s%s"
                            .formatted(
                                    event.path("time").asString(""), kind, step, error.isEmpty() ? "" : ": " + error));
                }
            }
            if (format == Format.json) {
                output.json(Map.of("operation", entry, "journal", steps));
            } else {
                output.out()
                        .printf(
                                "Operation %s on cluster '%s'%nCommand: %s%nStarted: %s%nEnded:   %s%nResult:  %s%n",
                                entry.id(),
                                entry.cluster(),
                                entry.command(),
                                entry.started(),
                                entry.ended().isEmpty() ? "-" : entry.ended(),
                                entry.result().isEmpty() ? "interrupted" : entry.result());
                if (!entry.error().isEmpty()) {
                    output.out().printf("Error:   %s%n", entry.error());
                }
                if (!steps.isEmpty()) {
                    output.out().println("Journal:");
                    steps.forEach(line -> output.out().println("  " + line));
                }
            }
            return 0;
        }
    }

    @Command(
            name = "exec",
            mixinStandardHelpOptions = true,
            description = "Run a shell command on every host of the cluster (or the --host ones) side by side.")
    static final class Exec implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Parameters(paramLabel = "NAME", description = "The cluster's name.")
        private String name;

        @Option(
                names = "--command",
                required = true,
                paramLabel = "COMMAND",
                description = "The command, run with sh -c.")
        private String command;

        @Option(names = "--host", split = ",", paramLabel = "HOST", description = "Only these hosts.")
        private List<String> hosts = List.of();

        @Option(names = "--timeout", defaultValue = "60", description = "Seconds per host (default: ${DEFAULT-VALUE}).")
        private int timeoutSeconds;

        @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
        private Format format;

        @Override
        public Integer call() {
            Output output = parent.output();
            Map<String, CommandResult> results = Services.clusters(output)
                    .exec(name, command, Set.copyOf(hosts), java.time.Duration.ofSeconds(timeoutSeconds));
            if (format == Format.json) {
                output.json(Map.of(
                        "results",
                        results.entrySet().stream()
                                .map(entry -> Map.of(
                                        "host", entry.getKey(),
                                        "exit_code", entry.getValue().exitCode(),
                                        "stdout", entry.getValue().stdout(),
                                        "stderr", entry.getValue().stderr()))
                                .toList()));
            } else {
                results.forEach((host, result) -> {
                    output.out().printf("== %s (exit %d)%n", host, result.exitCode());
                    output.out().print(result.stdout());
                    output.out().print(result.stderr());
                });
            }
            return results.values().stream().allMatch(CommandResult::succeeded) ? 0 : 1;
        }
    }

    @Command(
            name = "scale-out",
            mixinStandardHelpOptions = true,
            description = {
                "Add the instances listed in FILE (TiUP's syntax: only the new instances, in the same sections as the cluster's"
                        + " topology) to a running cluster.",
                "A new MariaDB replica is cloned from the primary with mariadb-backup and replicates from the backup's GTID"
                        + " position; a new host gets the agent; HAProxy and Prometheus are reloaded in place. The cluster's"
                        + " topology changes only when every step finished; re-running a scale-out that was cut short finishes it.",
                "MariaDB instances in FILE are replicas (a second primary is refused). A new etcd member joins the running"
                        + " members: it is added to the membership (etcdctl member add) just before it starts with"
                        + " --initial-cluster-state=existing, one member at a time, and Prometheus scrapes it.",
                "New hosts are reached with --user and -i KEY, -p or --password-file, and bootstrapped as deploy does."
            })
    static final class ScaleOutCommand implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Parameters(index = "0", paramLabel = "NAME", description = "The cluster's name.")
        private String name;

        @Parameters(index = "1", paramLabel = "FILE", description = "The new instances, as a topology fragment.")
        private Path file;

        @Option(
                names = {"-y", "--yes"},
                description = "Scale out without asking for confirmation.")
        private boolean yes;

        @Option(names = "--dry-run", description = "Print the plan and change nothing.")
        private boolean dryRun;

        @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
        private Format format;

        @Mixin
        private SshLoginOptions sshLogin;

        @Override
        public Integer call() throws Exception {
            Output output = parent.output();
            ClusterManager clusters = Services.clusters(output);
            String yaml = Files.readString(file);
            // New hosts' keys are verified against the cluster's own known_hosts file unless another is given.
            SshLogin login = sshLogin.login(clusters.knownHosts(name));
            if (dryRun) {
                output.out().print(clusters.scaleOutPlan(name, file, yaml).render());
                return 0;
            }
            var checked = clusters.checkScaleOut(name, file, yaml);
            if (!yes) {
                requireTerminal();
                output.out().printf("Cluster '%s' will get these instances:%n%n", name);
                output.out().print(instanceTable(checked.added()));
                if (!confirm(output, "Scale out?")) {
                    output.err().println("Nothing was changed.");
                    return 1;
                }
            }
            var done = clusters.scaleOut(
                    name, file, yaml, Services.commandLine("cluster", "scale-out", name, file.toString()), login);
            List<String> ids = done.added().stream()
                    .map(instance -> instance.component() + " " + instance.id())
                    .toList();
            if (format == Format.json) {
                output.json(Map.of("cluster", name, "operation", "scale-out", "added", instancesJson(done.added())));
            } else {
                output.out().printf("Cluster '%s' scaled out: %s.%n", name, String.join(", ", ids));
            }
            return 0;
        }
    }

    @Command(
            name = "scale-in",
            mixinStandardHelpOptions = true,
            description = {
                "Remove one instance from a running cluster: out of the HAProxy pool (reloaded) and etcd's membership first,"
                        + " then stopped and its directories removed; the agent and exporters of a host left empty go too.",
                "The MariaDB primary leaves only with --switchover-to: the switchover (see `cluster switchover`) runs first,"
                        + " then the old primary leaves as a replica. Refused, with the reason: the primary without that option,"
                        + " the last etcd member, the only gateway."
            })
    static final class ScaleInCommand implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Parameters(index = "0", paramLabel = "NAME", description = "The cluster's name.")
        private String name;

        @Option(
                names = {"-N", "--node"},
                required = true,
                paramLabel = "HOST:PORT",
                description = "The instance to remove.")
        private String node;

        @Option(
                names = "--switchover-to",
                paramLabel = "HOST:PORT",
                description = "When -N is the MariaDB primary: the replica that becomes the primary before it leaves.")
        private String switchoverTo;

        @Option(
                names = {"-y", "--yes"},
                description = "Scale in without asking for confirmation.")
        private boolean yes;

        @Option(names = "--dry-run", description = "Print the plan and change nothing.")
        private boolean dryRun;

        @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
        private Format format;

        @Override
        public Integer call() throws Exception {
            Output output = parent.output();
            ClusterManager clusters = Services.clusters(output);
            if (dryRun) {
                clusters.scaleInPlans(name, node, switchoverTo)
                        .forEach(plan -> output.out().print(plan.render()));
                return 0;
            }
            var leaving = clusters.checkScaleIn(name, node, switchoverTo);
            if (!yes) {
                requireTerminal();
                if (switchoverTo != null) {
                    output.out().printf("Cluster '%s' will switch its primary over to %s first.%n", name, switchoverTo);
                }
                output.out().printf("Cluster '%s' will lose these instances and their data:%n%n", name);
                output.out().print(instanceTable(leaving));
                if (!confirm(output, "Scale in?")) {
                    output.err().println("Nothing was changed.");
                    return 1;
                }
            }
            List<String> command = new ArrayList<>(List.of("cluster", "scale-in", name, "-N", node));
            if (switchoverTo != null) {
                command.addAll(List.of("--switchover-to", switchoverTo));
            }
            var removed =
                    clusters.scaleIn(name, node, switchoverTo, Services.commandLine(command.toArray(String[]::new)));
            if (format == Format.json) {
                output.json(Map.of("cluster", name, "operation", "scale-in", "removed", instancesJson(removed)));
            } else {
                output.out()
                        .printf(
                                "Cluster '%s' scaled in: %s.%n",
                                name,
                                String.join(
                                        ", ",
                                        removed.stream()
                                                .map(instance -> instance.component() + " " + instance.id())
                                                .toList()));
            }
            return 0;
        }
    }

    @Command(
            name = "switchover",
            mixinStandardHelpOptions = true,
            description = {
                "Make a MariaDB replica the primary, planned. The primary is fenced: read_only, its client sessions"
                        + " killed, and a global read lock held by this command until the gateway has moved (root writes past"
                        + " read_only). The replica applies everything the primary wrote (its gtid_binlog_pos), stops"
                        + " replicating and becomes writable; HAProxy is reloaded in place so that its write port goes to it;"
                        + " the other replicas replicate from it (GTID, MASTER_USE_GTID=slave_pos); last,"
                        + " the old primary's waiting sessions are killed, its lock released, and it replicates from the new one.",
                "Refused, with nothing changed: an instance that is not a MariaDB replica of the cluster, a replica whose"
                        + " threads are not both running or that is more than 30 s behind. When the replica does not catch up"
                        + " within --wait seconds the primary is made writable again and nothing else has changed. The"
                        + " topology's roles change when every step finished; a switchover cut short (even by kill -9)"
                        + " finishes when the same command runs again."
            })
    static final class SwitchoverCommand implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Parameters(index = "0", paramLabel = "NAME", description = "The cluster's name.")
        private String name;

        @Option(
                names = "--to",
                required = true,
                paramLabel = "HOST:PORT",
                description = "The replica that becomes the primary.")
        private String to;

        @Option(
                names = "--wait",
                defaultValue = "60",
                paramLabel = "SECONDS",
                description =
                        "How long the replica may take to apply what the fenced primary wrote before the primary is"
                                + " made writable again and the switchover given up (default: ${DEFAULT-VALUE}).")
        private int waitSeconds;

        @Option(names = "--dry-run", description = "Print the plan and change nothing.")
        private boolean dryRun;

        @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
        private Format format;

        @Override
        public Integer call() {
            Output output = parent.output();
            ClusterManager clusters = Services.clusters(output);
            if (dryRun) {
                output.out().print(clusters.switchoverPlan(name, to).render());
                return 0;
            }
            if (waitSeconds < 1) {
                throw new OperationException(
                        ErrorCode.BAD_OPTION, "--wait must be at least 1 second, got %d".formatted(waitSeconds));
            }
            var switchover = clusters.switchover(
                    name,
                    to,
                    java.time.Duration.ofSeconds(waitSeconds),
                    Services.commandLine("cluster", "switchover", name, "--to", to));
            if (format == Format.json) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("cluster", name);
                json.put("operation", "switchover");
                json.put("from", switchover.from().id());
                json.put("primary", switchover.to().id());
                json.put("changed", !switchover.done());
                output.json(json);
            } else if (switchover.done()) {
                output.out().printf("%s is already the primary of cluster '%s'; nothing changed.%n", to, name);
            } else {
                output.out()
                        .printf(
                                "Cluster '%s' switched over: %s is the primary, %s a replica.%n",
                                name, switchover.to().id(), switchover.from().id());
            }
            return 0;
        }
    }

    private static List<Map<String, Object>> instancesJson(List<io.flotilla.topology.Instance> instances) {
        return instances.stream()
                .map(instance -> {
                    Map<String, Object> each = new LinkedHashMap<>();
                    each.put("id", instance.id());
                    each.put("component", instance.component());
                    each.put("host", instance.host());
                    each.put("ports", List.copyOf(instance.ports().values()));
                    each.put("deploy_dir", instance.deployDir());
                    each.put("data_dir", instance.dataDir());
                    return each;
                })
                .toList();
    }

    @Command(
            name = "check",
            mixinStandardHelpOptions = true,
            description = {
                "Check the hosts of a topology file (before a deploy) or of a deployed cluster,",
                "all hosts at once: OS, CPU, memory, swap, clock and time sync, SELinux,",
                "transparent hugepages, the nofile limit, sysctl fs.file-max, net.core.somaxconn",
                "and vm.swappiness, the SSH user's privileges, and for the instances there: ports",
                "free, dirs writable (data dirs empty), free disk, binaries installed (or their",
                "tarball fetched and its sha256 checked). One Pass/Warn/Fail row per rule and",
                "host; the exit code is 1 when any row is a Fail.",
                "Hosts of a FILE are reached with the login options of deploy (--user with",
                "-i KEY, a KEY with a passphrase, -p or --password-file); a deployed cluster's",
                "hosts as its deploy user with the cluster's key.",
                "--apply needs root or a passwordless sudoer (otherwise an 'apply' row fails on",
                "each host). It sets the sysctl values now and keeps them in",
                "/etc/sysctl.d/99-flotilla.conf, gives the deploy user soft and hard nofile",
                "1000000 in /etc/security/limits.d/99-flotilla.conf (from its next login), and",
                "sets transparent hugepages to never at run time only (a reboot brings the",
                "kernel's default back unless its command line has transparent_hugepage=never).",
                "It says what it changed, and leaves swap, packages and processes alone."
            })
    static final class Check implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand parent;

        @Parameters(paramLabel = "FILE|NAME", description = "A topology file, or the name of a deployed cluster.")
        private String subject;

        @Option(
                names = "--apply",
                description = "Fix the sysctl values (kept in /etc/sysctl.d), the nofile limit (in"
                        + " /etc/security/limits.d) and transparent hugepages (until reboot), and say what changed.")
        private boolean apply;

        @Option(
                names = "--only",
                split = ",",
                paramLabel = "CHECK",
                description = "Only these rules, by the name in the CHECK column (e.g. 'sysctl net.core.somaxconn').")
        private List<String> only = List.of();

        @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
        private Format format;

        @Mixin
        private SshLoginOptions sshLogin;

        @Override
        public Integer call() throws Exception {
            Output output = parent.output();
            var checks = new ClusterCheck(FlotillaHome.fromEnvironment(), Catalog.standard());
            Predicate<String> selected = only.isEmpty() ? check -> true : Set.copyOf(only)::contains;
            ClusterCheck.Progress progress = new ClusterCheck.Progress() {
                @Override
                public void started(String host) {
                    synchronized (output) {
                        output.err().printf("  checking %s ...%n", host);
                    }
                }

                @Override
                public void finished(String host, List<CheckResult> rows) {
                    synchronized (output) {
                        output.err().printf("  checked %s: %s%n", host, summary(rows));
                    }
                }
            };
            Path file = Path.of(subject);
            ClusterCheck.Report report;
            if (Files.isRegularFile(file)) {
                report = checks.file(
                        file, Files.readString(file), sshLogin.login(Optional.empty()), apply, selected, progress);
            } else if (checks.exists(subject)) {
                if (sshLogin.given()) {
                    throw new OperationException(
                            ErrorCode.BAD_OPTION,
                            "cluster '%s' is reached with the login it was deployed with (its deploy user and the cluster's key); --user, -i, -p and --password-file are for a topology FILE"
                                    .formatted(subject));
                }
                report = checks.cluster(subject, apply, selected, progress);
            } else {
                throw new OperationException(
                        ErrorCode.NO_CLUSTER,
                        "%s is neither a topology file nor a deployed cluster; give a file's path or `flotilla cluster list` shows the names"
                                .formatted(subject));
            }
            List<String> unmatched = only.stream()
                    .filter(name ->
                            report.rows().stream().noneMatch(row -> row.check().equals(name)))
                    .toList();
            if (!unmatched.isEmpty()) {
                throw new OperationException(
                        ErrorCode.BAD_OPTION,
                        "--only %s names no check on these hosts; use the names of the CHECK column, such as 'sysctl vm.swappiness' or 'port 4000'"
                                .formatted(String.join(
                                        ", ",
                                        unmatched.stream()
                                                .map(name -> "'" + name + "'")
                                                .toList())));
            }
            if (format == Format.json) {
                output.json(Map.of(
                        "subject",
                        report.subject(),
                        "hosts",
                        report.hosts(),
                        "passed",
                        !report.failed(),
                        "rows",
                        report.rows().stream()
                                .map(row -> Map.of(
                                        "host", row.host(),
                                        "check", row.check(),
                                        "result", row.verdict().label(),
                                        "detail", row.detail(),
                                        "applied", row.fixed()))
                                .toList()));
            } else {
                output.out()
                        .print(Output.table(
                                List.of("HOST", "CHECK", "RESULT", "DETAIL"),
                                report.rows().stream()
                                        .map(row -> List.of(
                                                row.host(),
                                                row.check(),
                                                row.verdict().label(),
                                                row.detail()))
                                        .toList()));
                List<CheckResult> applied = report.rows().stream()
                        .filter(row -> !row.fixed().isEmpty())
                        .toList();
                if (!applied.isEmpty()) {
                    output.out().printf("%nApplied:%n");
                    applied.forEach(row -> output.out().printf("  %s %s: %s%n", row.host(), row.check(), row.fixed()));
                }
                output.out().printf("%n%s%n", summary(report.rows()));
            }
            return report.failed() ? 1 : 0;
        }

        private static String summary(List<CheckResult> rows) {
            ToLongFunction<CheckResult.Verdict> count = verdict ->
                    rows.stream().filter(row -> row.verdict() == verdict).count();
            return "%d pass, %d warn, %d fail"
                    .formatted(
                            count.applyAsLong(CheckResult.Verdict.PASS),
                            count.applyAsLong(CheckResult.Verdict.WARN),
                            count.applyAsLong(CheckResult.Verdict.FAIL));
        }
    }
}
