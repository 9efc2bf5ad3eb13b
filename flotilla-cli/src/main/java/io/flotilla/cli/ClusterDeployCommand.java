package io.flotilla.cli;

import static io.flotilla.cli.ClusterCommand.confirmed;
import static io.flotilla.cli.ClusterCommand.instanceTable;

import io.flotilla.operations.ClusterManager;
import io.flotilla.operations.SshLogin;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
final class ClusterDeployCommand extends NamedClusterCommand {
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
    int run(Output output, ClusterManager clusters) throws Exception {
        String yaml = TopologyParser.read(file);
        SshLogin ssh = sshLogin.login(Optional.empty());
        if (dryRun) {
            clusters.deployPlan(name, file, yaml, ssh)
                    .forEach(plan -> output.out().print(plan.render()));
            return 0;
        }
        Topology topology = clusters.checkTopology(name, file, yaml, ssh);
        if (!yes
                && !confirmed(
                        output,
                        "Cluster '%s' will be deployed:%n%n".formatted(name),
                        instanceTable(topology),
                        "Deploy it?")) {
            return 1;
        }
        clusters.deploy(
                name,
                topology,
                yaml,
                Services.commandLine("cluster", "deploy", name, file.toString()),
                ClusterManager.DEFAULT_AGENT_PORT,
                ssh);
        output.out().printf("Cluster '%s' deployed. Start it with: flotilla cluster start %s%n", name, name);
        return 0;
    }
}
