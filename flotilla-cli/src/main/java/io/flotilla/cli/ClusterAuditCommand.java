package io.flotilla.cli;

import io.flotilla.engine.AuditLog;
import io.flotilla.engine.Journal;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = "List every operation run from this machine, or show one with its steps.")
final class ClusterAuditCommand extends OutputCommand {
    @Parameters(arity = "0..1", paramLabel = "ID", description = "An operation id from the list.")
    private String id;

    @Mixin
    private FormatOption format;

    @Override
    int run(Output output) throws Exception {
        AuditLog audit = Services.clusters(output).home().audit();
        List<AuditLog.Entry> entries = audit.entries();
        if (id == null) {
            if (format.json()) {
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
                        .formatted(event.path("time").asString(""), kind, step, error.isEmpty() ? "" : ": " + error));
            }
        }
        if (format.json()) {
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
