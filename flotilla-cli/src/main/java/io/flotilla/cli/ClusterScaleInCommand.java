package io.flotilla.cli;

import static io.flotilla.cli.ClusterCommand.confirmed;
import static io.flotilla.cli.ClusterCommand.instanceNames;
import static io.flotilla.cli.ClusterCommand.instanceTable;
import static io.flotilla.cli.ClusterCommand.instancesJson;

import io.flotilla.operations.ClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "scale-in",
        mixinStandardHelpOptions = true,
        description = {
            "Remove one instance from a running cluster.",
            "It leaves the HAProxy pool (reloaded) and etcd's membership first, then is stopped and its directories"
                    + " removed; the agent and exporters of a host left empty go too.",
            "The MariaDB primary leaves only with --switchover-to: the switchover (see `cluster switchover`) runs first,"
                    + " then the old primary leaves as a replica. Refused, with the reason: the primary without that option,"
                    + " the last etcd member, the only gateway."
        })
final class ClusterScaleInCommand extends NamedClusterCommand {
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

    @Mixin
    private DryRunOption dryRun;

    @Mixin
    private FormatOption format;

    @Override
    int run(Output output, ClusterManager clusters) throws Exception {
        if (dryRun.given()) {
            clusters.scaleInPlans(name, node, switchoverTo)
                    .forEach(plan -> output.out().print(plan.render()));
            return 0;
        }
        var leaving = clusters.checkScaleIn(name, node, switchoverTo);
        String switchoverFirst = switchoverTo == null
                ? ""
                : "Cluster '%s' will switch its primary over to %s first.%n".formatted(name, switchoverTo);
        if (!yes
                && !confirmed(
                        output,
                        switchoverFirst + "Cluster '%s' will lose these instances and their data:%n%n".formatted(name),
                        instanceTable(leaving),
                        "Scale in?")) {
            return 1;
        }
        List<String> command = new ArrayList<>(List.of("cluster", "scale-in", name, "-N", node));
        if (switchoverTo != null) {
            command.addAll(List.of("--switchover-to", switchoverTo));
        }
        var removed = clusters.scaleIn(name, node, switchoverTo, Services.commandLine(command.toArray(String[]::new)));
        if (format.json()) {
            output.json(Map.of("cluster", name, "operation", "scale-in", "removed", instancesJson(removed)));
        } else {
            output.out().printf("Cluster '%s' scaled in: %s.%n", name, instanceNames(removed));
        }
        return 0;
    }
}
