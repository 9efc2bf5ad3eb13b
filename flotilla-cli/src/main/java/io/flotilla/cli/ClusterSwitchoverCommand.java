package io.flotilla.cli;

import io.flotilla.agent.api.GtidWait;
import io.flotilla.operations.ClusterManager;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "switchover",
        mixinStandardHelpOptions = true,
        description = {
            "Make a MariaDB replica the primary, planned.",
            "The primary is fenced: read_only, its client sessions"
                    + " killed, and a global read lock held by the agent on its host until the gateway has moved (root writes"
                    + " past read_only; the agent lets the lock go by itself --wait + 120 s after it was last taken). The replica applies everything the primary wrote (its gtid_binlog_pos), stops"
                    + " replicating and becomes writable; HAProxy is reloaded in place so that its write port goes to it;"
                    + " the other replicas replicate from it (GTID, MASTER_USE_GTID=slave_pos); last,"
                    + " the old primary's waiting sessions are killed, its lock released, and it replicates from the new one.",
            "Refused, with nothing changed: an instance that is not a MariaDB replica of the cluster, a replica whose"
                    + " threads are not both running or that is more than 30 s behind. When the replica does not catch up"
                    + " within --wait seconds the primary is made writable again and nothing else has changed. The"
                    + " topology's roles change when every step finished; a switchover cut short (even by kill -9)"
                    + " finishes when the same command runs again."
        })
final class ClusterSwitchoverCommand extends NamedClusterCommand {
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
            description = "How long the replica may take to apply what the fenced primary wrote before the primary is"
                    + " made writable again and the switchover given up, 1 to 3600 (default: ${DEFAULT-VALUE}).")
    private int waitSeconds;

    @Mixin
    private DryRunOption dryRun;

    @Mixin
    private FormatOption format;

    @Override
    int run(Output output, ClusterManager clusters) {
        if (dryRun.given()) {
            output.out().print(clusters.switchoverPlan(name, to).render());
            return 0;
        }
        if (waitSeconds < 1 || waitSeconds > GtidWait.MAX_TIMEOUT_SECONDS) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "--wait must be 1 to %d seconds, got %d".formatted(GtidWait.MAX_TIMEOUT_SECONDS, waitSeconds));
        }
        var switchover = clusters.switchover(
                name,
                to,
                java.time.Duration.ofSeconds(waitSeconds),
                Services.commandLine("cluster", "switchover", name, "--to", to));
        if (format.json()) {
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
