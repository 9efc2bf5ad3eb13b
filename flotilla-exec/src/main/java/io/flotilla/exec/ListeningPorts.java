package io.flotilla.exec;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The TCP ports listening on a host and, where the system says, which process holds each. */
public final class ListeningPorts {
    private static final Pattern OWNER = Pattern.compile("\\(\\(\"([^\"]+)\",pid=(\\d+)");

    private final Map<Integer, String> owners;

    private ListeningPorts(Map<Integer, String> owners) {
        this.owners = Map.copyOf(owners);
    }

    /** Reads the listening sockets of the executor's host with {@code ss}. */
    public static ListeningPorts of(Executor executor) {
        CommandResult result = executor.check(List.of("ss", "-Htlnp"), Duration.ofSeconds(10));
        return parse(result.stdout());
    }

    /** Nothing known to listen: for plans printed without asking the hosts. */
    public static ListeningPorts none() {
        return new ListeningPorts(Map.of());
    }

    static ListeningPorts parse(String ssOutput) {
        Map<Integer, String> owners = new HashMap<>();
        for (String line : ssOutput.split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length < 4) {
                continue;
            }
            String local = columns[3];
            int colon = local.lastIndexOf(':');
            if (colon < 0) {
                continue;
            }
            int port;
            try {
                port = Integer.parseInt(local.substring(colon + 1));
            } catch (NumberFormatException ignored) {
                continue;
            }
            Matcher owner = OWNER.matcher(line);
            String description =
                    owner.find() ? "pid %s (%s)".formatted(owner.group(2), owner.group(1)) : "another process";
            owners.merge(port, description, (first, second) -> first);
        }
        return new ListeningPorts(owners);
    }

    /** Who listens on a port: {@code "pid 812 (mysqld)"}, or empty when the port is free. */
    public Optional<String> owner(int port) {
        return Optional.ofNullable(owners.get(port));
    }
}
