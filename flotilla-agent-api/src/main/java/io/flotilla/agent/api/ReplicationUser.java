package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * The account replicas log in with on a primary ({@code REPLICATION SLAVE, REPLICATION CLIENT}),
 * created when missing.
 *
 * @param passwordFile the file on the primary's host, readable by the agent only, that holds its
 *     password: the password itself never travels in a request
 */
public record ReplicationUser(String user, String passwordFile) {
    public ReplicationUser {
        requireNonNull(user, "user is null");
        SqlNames.requireUser(user, "user");
        requireNonNull(passwordFile, "passwordFile is null");
        SqlNames.requireAbsolutePath(passwordFile, "passwordFile");
    }
}
