package io.flotilla.topology;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a valid TiUP topology of a given size, for benchmarks and scale tests. Every host runs
 * two TiKV and one TiDB plus, in turn, a TiFlash, a TiCDC or a TiProxy; the first three hosts
 * also run PD and the first one the monitoring parts.
 */
public final class TopologyGenerator {
    private TopologyGenerator() {}

    /** A topology of exactly {@code instances} instances, not counting the exporters added per host. */
    public static String generate(int instances) {
        if (instances < 1) {
            throw new IllegalArgumentException("a topology needs at least 1 instance, got %d".formatted(instances));
        }
        Map<ComponentSchema, List<String>> sections = new LinkedHashMap<>();
        Schemas.sections().forEach(schema -> sections.put(schema, new ArrayList<>()));
        int written = 0;
        int hosts = 0;
        while (written < instances) {
            List<Slot> slots = slots(hosts);
            String host = host(hosts);
            for (int slot = 0; slot < slots.size() && written < instances; slot++) {
                sections.get(slots.get(slot).schema())
                        .add(item(host, slots.get(slot).ports()));
                written++;
            }
            hosts++;
        }

        StringBuilder yaml = new StringBuilder();
        yaml.append("# %d instances on %d hosts, written by TopologyGenerator\n".formatted(instances, hosts));
        yaml.append("global:\n  user: tidb\n  deploy_dir: /tidb-deploy\n  data_dir: /tidb-data\n");
        yaml.append("server_configs:\n  tikv:\n    storage.block-cache.capacity: 8GiB\n");
        yaml.append("  pd:\n    replication.location-labels: [host]\n");
        sections.forEach((schema, items) -> {
            if (!items.isEmpty()) {
                yaml.append(schema.section()).append(":\n");
                items.forEach(yaml::append);
            }
        });
        return yaml.toString();
    }

    private record Slot(ComponentSchema schema, Map<String, Integer> ports) {}

    private static List<Slot> slots(int host) {
        List<Slot> slots = new ArrayList<>();
        if (host < 3) {
            slots.add(new Slot(Schemas.PD, Map.of()));
        }
        if (host == 0) {
            slots.add(new Slot(Schemas.PROMETHEUS, Map.of()));
            slots.add(new Slot(Schemas.GRAFANA, Map.of()));
            slots.add(new Slot(Schemas.ALERTMANAGER, Map.of()));
        }
        slots.add(new Slot(Schemas.TIKV, Map.of()));
        slots.add(new Slot(Schemas.TIKV, ports("port", 20161, "status_port", 20181)));
        slots.add(new Slot(Schemas.TIDB, Map.of()));
        slots.add(
                new Slot(List.of(Schemas.TIFLASH, Schemas.CDC, Schemas.TIPROXY).get(host % 3), Map.of()));
        return slots;
    }

    private static Map<String, Integer> ports(String field, int port, String otherField, int otherPort) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put(field, port);
        ports.put(otherField, otherPort);
        return ports;
    }

    private static String item(String host, Map<String, Integer> ports) {
        StringBuilder item = new StringBuilder("  - host: ").append(host).append('\n');
        ports.forEach((field, port) ->
                item.append("    ").append(field).append(": ").append(port).append('\n'));
        return item.toString();
    }

    /** 10.0.0.1, 10.0.0.2, ...: 250 hosts per /24, never .0 or .255. */
    private static String host(int index) {
        return "10.%d.%d.%d".formatted(index / 62_500, index / 250 % 250, index % 250 + 1);
    }
}
