package io.flotilla.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The playground's topology: everything on 127.0.0.1, every port shifted by one offset. */
record PlaygroundTopology(int replicas, int portOffset, Path root) {
    static final int MARIADB_PORT = 3306;

    /** The cluster SQL endpoint the foreground playground serves (not part of the topology). */
    static final int SQL_PORT = 4406;

    private static final Pattern HEADER = Pattern.compile("# flotilla playground: replicas=(\\d+) port_offset=(\\d+)");

    static PlaygroundTopology parse(String yaml) {
        Matcher header = HEADER.matcher(yaml);
        if (!header.find()) {
            throw new IllegalStateException(
                    "the playground's stored topology has no header; destroy it and start again");
        }
        return new PlaygroundTopology(
                Integer.parseInt(header.group(1)), Integer.parseInt(header.group(2)), Path.of("/"));
    }

    int agentPort() {
        return 9760 + portOffset;
    }

    /** Every port the playground listens on, the agent's included. */
    List<Integer> ports() {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i <= replicas; i++) {
            ports.add(MARIADB_PORT + portOffset + i);
        }
        ports.addAll(List.of(4000, 4001, SQL_PORT, 8404, 9090, 9100, 9115, 9760, 9761, 12020).stream()
                .map(port -> port + portOffset)
                .toList());
        return ports;
    }

    String yaml() {
        StringBuilder yaml = new StringBuilder();
        yaml.append("# flotilla playground: replicas=%d port_offset=%d%n".formatted(replicas, portOffset));
        yaml.append("""
                global:
                  user: "%s"
                  deploy_dir: "%s"
                  data_dir: "%s"
                  listen_host: 127.0.0.1
                monitored:
                  node_exporter_port: %d
                  blackbox_exporter_port: %d
                server_configs:
                  mariadb:
                    innodb_buffer_pool_size: 64M
                    max_connections: 200
                    slow_query_log: "ON"
                    long_query_time: 1
                mariadb_servers:
                """.formatted(
                        System.getProperty("user.name"),
                        root.resolve("deploy"),
                        root.resolve("data"),
                        9100 + portOffset,
                        9115 + portOffset));
        for (int i = 0; i <= replicas; i++) {
            yaml.append("  - host: 127.0.0.1\n    port: %d\n    role: %s\n"
                    .formatted(MARIADB_PORT + portOffset + i, i == 0 ? "primary" : "replica"));
        }
        yaml.append("""
                haproxy_servers:
                  - host: 127.0.0.1
                    port: %d
                    read_port: %d
                    stats_port: %d
                monitoring_servers:
                  - host: 127.0.0.1
                    port: %d
                    ng_port: %d
                """.formatted(
                4000 + portOffset, 4001 + portOffset, 8404 + portOffset, 9090 + portOffset, 12020 + portOffset));
        return yaml.toString();
    }
}
