package io.flotilla.agent.api;

import java.util.regex.Pattern;

/** The shapes of what the replication verbs put into SQL, checked before anything is sent or run. */
final class SqlNames {
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9_]{1,80}");
    private static final Pattern GTID =
            Pattern.compile("(\\d{1,10}-\\d{1,10}-\\d{1,20}(,\\d{1,10}-\\d{1,10}-\\d{1,20})*)?");

    private SqlNames() {}

    static void requireUser(String user, String field) {
        if (!USER.matcher(user).matches()) {
            throw new IllegalArgumentException(
                    "%s '%s' is not a user name of letters, digits and underscores".formatted(field, user));
        }
    }

    static void requireGtid(String gtid, String field) {
        if (!GTID.matcher(gtid).matches()) {
            throw new IllegalArgumentException(
                    "%s '%s' is not a GTID position (DOMAIN-SERVER-SEQUENCE, comma-separated)".formatted(field, gtid));
        }
    }

    /** An address or a host name, as replication's CHANGE MASTER takes it. */
    static void requireHost(String host, String field) {
        if (!host.matches("[A-Za-z0-9.:-]{1,253}")) {
            throw new IllegalArgumentException("%s '%s' is not an address or a host name".formatted(field, host));
        }
    }

    static void requireAbsolutePath(String path, String field) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("%s '%s' is not an absolute path".formatted(field, path));
        }
    }
}
