package io.flotilla.cli;

import io.flotilla.engine.ClusterStore;
import io.flotilla.step.OperationException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List the clusters managed from this machine.")
final class ClusterListCommand extends OutputCommand {
    @Mixin
    private FormatOption format;

    @Override
    int run(Output output) {
        List<ClusterStore> stores = Services.clusters(output).list();
        List<Map<String, Object>> clusters = new ArrayList<>();
        for (ClusterStore store : stores) {
            Map<String, Object> each = new LinkedHashMap<>();
            each.put("name", store.name());
            try {
                var meta = store.meta();
                each.put("status", meta.status());
                each.put("created", meta.createdAt());
            } catch (OperationException damaged) {
                // One cluster's damaged state is said on its own row; the others still list.
                each.put("status", "damaged");
                each.put("created", "-");
                output.err().println("Warning: " + damaged.getMessage());
            }
            each.put("path", store.dir().toString());
            clusters.add(each);
        }
        if (format.json()) {
            output.json(Map.of("clusters", clusters));
        } else {
            output.out()
                    .print(Output.table(
                            List.of("Name", "State", "Created", "Path"),
                            clusters.stream()
                                    .map(each -> each.values().stream()
                                            .map(String::valueOf)
                                            .toList())
                                    .toList()));
        }
        return 0;
    }
}
