package io.flotilla.cli;

import io.flotilla.exec.CommandResult;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "exec",
        mixinStandardHelpOptions = true,
        description = "Run a shell command on every host of the cluster (or the --host ones) side by side.")
final class ClusterExecCommand extends OutputCommand {
    @Parameters(paramLabel = "NAME", description = "The cluster's name.")
    private String name;

    @Option(names = "--command", required = true, paramLabel = "COMMAND", description = "The command, run with sh -c.")
    private String command;

    @Option(names = "--host", split = ",", paramLabel = "HOST", description = "Only these hosts.")
    private List<String> hosts = List.of();

    @Option(names = "--timeout", defaultValue = "60", description = "Seconds per host (default: ${DEFAULT-VALUE}).")
    private int timeoutSeconds;

    @Mixin
    private FormatOption format;

    @Override
    int run(Output output) {
        Map<String, CommandResult> results = Services.clusters(output)
                .exec(name, command, Set.copyOf(hosts), java.time.Duration.ofSeconds(timeoutSeconds));
        if (format.json()) {
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
