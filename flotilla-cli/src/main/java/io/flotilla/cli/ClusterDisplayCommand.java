package io.flotilla.cli;

import static io.flotilla.cli.ClusterCommand.displayJson;
import static io.flotilla.cli.ClusterCommand.sqlEndpoint;

import io.flotilla.operations.ClusterManager;
import io.flotilla.operations.ClusterView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
        name = "display",
        mixinStandardHelpOptions = true,
        description = "Show every instance's status, asked of the agents.")
final class ClusterDisplayCommand extends NamedClusterCommand {
    @Mixin
    private FormatOption format;

    @Override
    int run(Output output, ClusterManager clusters) {
        ClusterView view = clusters.display(name);
        Map<String, Object> json = displayJson(view);
        Map<String, String> endpoints =
                sqlEndpoint(view, clusters.home().cluster(name).dir());
        json.put("endpoints", endpoints);
        if (format.json()) {
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
                            "/", instance.ports().stream().map(String::valueOf).toList()),
                    instance.status(),
                    instance.deployDir(),
                    instance.dataDir() == null ? "-" : instance.dataDir()));
        }
        output.out()
                .print(Output.table(List.of("ID", "Role", "Host", "Ports", "Status", "Deploy dir", "Data dir"), rows));
        view.instances().stream()
                .filter(instance -> !instance.detail().isEmpty())
                .forEach(instance ->
                        output.out().printf("%s %s: %s%n", instance.id(), instance.status(), instance.detail()));
        return 0;
    }
}
