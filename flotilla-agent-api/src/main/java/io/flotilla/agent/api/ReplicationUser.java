package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * The account replicas log in with on a primary ({@code REPLICATION SLAVE, REPLICATION CLIENT}),
 * created when missing.
 *
 * @param passwordFile the file on the primary's host, readable by the agent only, that holds its
 *     password: the password itself never travels in a request
 * @param outsideBinlog created outside the binary log, on each member of an HA group: any member
 *     may become the primary replicas log in to, and none gains a transaction of its own (which a
 *     replica's would be, errant to the others)
 */
public record ReplicationUser(String user, String passwordFile, boolean outsideBinlog) {
    /** On the primary, in its binary log, whence it reaches every replica. */
    public ReplicationUser(String user, String passwordFile) {
        this(user, passwordFile, false);
    }

    public ReplicationUser {
        requireNonNull(user, "user is null");
        SqlNames.requireUser(user, "user");
        requireNonNull(passwordFile, "passwordFile is null");
        SqlNames.requireAbsolutePath(passwordFile, "passwordFile");
    }
}
