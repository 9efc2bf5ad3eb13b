package io.flotilla.cli;

import io.flotilla.topology.Problem;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyException;
import io.flotilla.topology.TopologyParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
        name = "topology",
        mixinStandardHelpOptions = true,
        description = "Work with topology files.",
        subcommands = TopologyCommand.Validate.class)
final class TopologyCommand {
    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            description = {
                "Check a topology file and report every problem at once, each as FILE:LINE:COL: message.",
                "Exits 0 when the file is valid, 1 otherwise."
            })
    static final class Validate extends OutputCommand {
        @Parameters(paramLabel = "FILE", description = "The topology file (TiUP's format plus Flotilla's sections).")
        private Path file;

        @Mixin
        private FormatOption format;

        @Override
        int run(Output output) throws Exception {
            List<Problem> problems = new ArrayList<>();
            Topology topology = null;
            try {
                topology = TopologyParser.parse(file);
            } catch (TopologyException e) {
                problems.addAll(e.problems());
            }
            if (format.json()) {
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("file", file.toString());
                result.put("valid", problems.isEmpty());
                result.put(
                        "instances", topology == null ? 0 : topology.instances().size());
                result.put(
                        "problems",
                        problems.stream()
                                .map(problem -> {
                                    Map<String, Object> each = new LinkedHashMap<>();
                                    each.put("file", problem.position().file());
                                    each.put("line", problem.position().line());
                                    each.put("column", problem.position().column());
                                    each.put("message", problem.message());
                                    each.put("instances", problem.instances());
                                    return each;
                                })
                                .toList());
                output.json(result);
            } else if (problems.isEmpty()) {
                output.out()
                        .printf(
                                "%s is valid: %d instance%s on %d host%s.%n",
                                file,
                                topology.instances().size(),
                                topology.instances().size() == 1 ? "" : "s",
                                topology.hosts().size(),
                                topology.hosts().size() == 1 ? "" : "s");
            } else {
                problems.forEach(output.out()::println);
                output.out().printf("%d problem%s found.%n", problems.size(), problems.size() == 1 ? "" : "s");
            }
            return problems.isEmpty() ? 0 : 1;
        }
    }
}
