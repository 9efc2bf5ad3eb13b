package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * The primary an instance is to replicate from, with GTID ({@code MASTER_USE_GTID = slave_pos}).
 *
 * @param passwordFile the file on the instance's host, readable by the agent only, that holds the
 *     replication user's password: the password itself never travels in a request
 */
public record ReplicationSource(String host, int port, String user, String passwordFile) {
    public ReplicationSource {
        requireNonNull(host, "host is null");
        SqlNames.requireHost(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port %d is outside 1..65535".formatted(port));
        }
        requireNonNull(user, "user is null");
        SqlNames.requireUser(user, "user");
        requireNonNull(passwordFile, "passwordFile is null");
        SqlNames.requireAbsolutePath(passwordFile, "passwordFile");
    }
}
