package io.flotilla.catalog;

import java.sql.Connection;
import java.sql.SQLException;

/** Opens administrative SQL connections to the instances of a cluster. */
public interface SqlAccess {
    /** A connection as the cluster's root user; the caller closes it. */
    Connection open(String host, int port) throws SQLException;

    ClusterSecrets secrets();
}
