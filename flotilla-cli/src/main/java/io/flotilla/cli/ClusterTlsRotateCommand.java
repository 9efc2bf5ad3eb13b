package io.flotilla.cli;

import io.flotilla.operations.ClusterManager;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
        name = "rotate",
        mixinStandardHelpOptions = true,
        description = {
            "Give the cluster's agents certificates of a new CA.",
            "The new CA is made in the cluster's folder"
                    + " (tls/<id>/, named by tls/next); then, one host at a time, the agent gets a new key and certificate over SSH (or"
                    + " locally), not through its API, is brought up to this Flotilla's version as a deploy would, and is"
                    + " restarted, which leaves its instances running; the host is done once its agent answers with the new"
                    + " CA trusted. Last, the new CA replaces the old one, which is trusted no more.",
            "This is also how a cluster deployed before agents had TLS, or one whose CA is lost, gets one. Cut short,"
                    + " the same command finishes it with the same new CA; until then the CLI trusts both CAs."
        })
final class ClusterTlsRotateCommand extends NamedClusterCommand {
    @Mixin
    private DryRunOption dryRun;

    @Mixin
    private FormatOption format;

    @Override
    int run(Output output, ClusterManager clusters) {
        if (dryRun.given()) {
            output.out().print(clusters.rotateTlsPlan(name).render());
            return 0;
        }
        String ca = clusters.rotateTls(name, Services.commandLine("cluster", "tls", "rotate", name));
        int hosts = clusters.topology(name).hosts().size();
        if (format.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("cluster", name);
            json.put("operation", "tls-rotate");
            json.put("ca", ca);
            json.put("hosts", hosts);
            output.json(json);
        } else {
            output.out()
                    .printf(
                            "The %d agent(s) of cluster '%s' hold certificates of its new CA %s; the old CA is trusted no more.%n",
                            hosts, name, ca);
        }
        return 0;
    }
}
