package io.flotilla.cli;

import static io.flotilla.cli.ClusterCommand.confirmed;
import static io.flotilla.cli.ClusterCommand.instanceNames;
import static io.flotilla.cli.ClusterCommand.instanceTable;
import static io.flotilla.cli.ClusterCommand.instancesJson;

import io.flotilla.operations.ClusterManager;
import io.flotilla.operations.SshLogin;
import io.flotilla.topology.TopologyParser;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "scale-out",
        mixinStandardHelpOptions = true,
        description = {
            "Add the instances listed in FILE to a running cluster.",
            "FILE has TiUP's syntax: only the new instances, in the same sections as the cluster's topology.",
            "A new MariaDB replica is cloned from the primary with mariadb-backup and replicates from the backup's GTID"
                    + " position; a new host gets the agent; HAProxy and Prometheus are reloaded in place. The cluster's"
                    + " topology changes only when every step finished; re-running a scale-out that was cut short finishes it.",
            "MariaDB instances in FILE are replicas (a second primary is refused). A new etcd member joins the running"
                    + " members: it is added to the membership (etcdctl member add) just before it starts with"
                    + " --initial-cluster-state=existing, one member at a time, and Prometheus scrapes it.",
            "New hosts are reached with --user and -i KEY, -p or --password-file, and bootstrapped as deploy does."
        })
final class ClusterScaleOutCommand extends NamedClusterCommand {
    @Parameters(index = "1", paramLabel = "FILE", description = "The new instances, as a topology fragment.")
    private Path file;

    @Option(
            names = {"-y", "--yes"},
            description = "Scale out without asking for confirmation.")
    private boolean yes;

    @Mixin
    private DryRunOption dryRun;

    @Mixin
    private FormatOption format;

    @Mixin
    private SshLoginOptions sshLogin;

    @Override
    int run(Output output, ClusterManager clusters) throws Exception {
        String yaml = TopologyParser.read(file);
        // New hosts' keys are verified against the cluster's own known_hosts file unless another is given.
        SshLogin login = sshLogin.login(clusters.knownHosts(name));
        if (dryRun.given()) {
            output.out().print(clusters.scaleOutPlan(name, file, yaml).render());
            return 0;
        }
        var checked = clusters.checkScaleOut(name, file, yaml);
        if (!yes
                && !confirmed(
                        output,
                        "Cluster '%s' will get these instances:%n%n".formatted(name),
                        instanceTable(checked.added()),
                        "Scale out?")) {
            return 1;
        }
        var done = clusters.scaleOut(
                name, file, yaml, Services.commandLine("cluster", "scale-out", name, file.toString()), login);
        if (format.json()) {
            output.json(Map.of("cluster", name, "operation", "scale-out", "added", instancesJson(done.added())));
        } else {
            output.out().printf("Cluster '%s' scaled out: %s.%n", name, instanceNames(done.added()));
        }
        return 0;
    }
}
