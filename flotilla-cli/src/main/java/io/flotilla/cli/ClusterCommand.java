package io.flotilla.cli;

import io.flotilla.operations.ClusterView;
import io.flotilla.sql.session.SqlEndpoint;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.Topology;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "Deploy and operate clusters, on this machine or on hosts reached over SSH.",
        subcommands = {
            ClusterDeployCommand.class,
            ClusterStartCommand.class,
            ClusterStopCommand.class,
            ClusterRestartCommand.class,
            ClusterReloadCommand.class,
            ClusterDisplayCommand.class,
            ClusterListCommand.class,
            ClusterDestroyCommand.class,
            ClusterExecCommand.class,
            ClusterCheckCommand.class,
            ClusterScaleOutCommand.class,
            ClusterScaleInCommand.class,
            ClusterSwitchoverCommand.class,
            ClusterPasswordCommand.class,
            ClusterTlsCommand.class,
            ClusterAuditCommand.class
        })
final class ClusterCommand {
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

    /**
     * Shows what a change will do and asks at the terminal whether to go on; a refusal says that
     * nothing was changed. Without a terminal it fails, pointing to --yes.
     */
    static boolean confirmed(Output output, String heading, String instances, String question) throws IOException {
        requireTerminal();
        output.out().print(heading);
        output.out().print(instances);
        if (confirm(output, question)) {
            return true;
        }
        output.err().println("Nothing was changed.");
        return false;
    }

    /** The instances for a person, as {@code component id}, comma separated. */
    static String instanceNames(List<io.flotilla.topology.Instance> instances) {
        return String.join(
                ", ",
                instances.stream()
                        .map(instance -> instance.component() + " " + instance.id())
                        .toList());
    }

    private static void requireTerminal() {
        if (System.console() == null) {
            throw new OperationException(
                    ErrorCode.NEEDS_CONFIRMATION,
                    "standard input is not a terminal; add --yes to go on without a prompt");
        }
    }

    private static boolean confirm(Output output, String question) throws IOException {
        output.out().printf("%n%s [y/N] ", question);
        output.out().flush();
        String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return answer != null && (answer.equalsIgnoreCase("y") || answer.equalsIgnoreCase("yes"));
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

    static List<Map<String, Object>> instancesJson(List<io.flotilla.topology.Instance> instances) {
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
}
