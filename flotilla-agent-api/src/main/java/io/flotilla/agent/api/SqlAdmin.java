package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * How the agent administers a MySQL-compatible instance on its host: where it answers SQL, the
 * account and the password file (mode 0600) to use, and the option file that holds its settings.
 *
 * @param host the address to connect to, usually {@code 127.0.0.1}
 * @param user the administrative account ({@code root})
 * @param passwordFile read when a connection is opened, so the password never travels in a spec
 * @param optionFile the instance's option file ({@code my.cnf}); settings changed live are written there too
 * @param optionSection the section of {@code optionFile} the server reads ({@code mariadbd})
 * @param slowLogFile the slow query log, or empty when there is none
 */
public record SqlAdmin(
        String host,
        int port,
        String user,
        String passwordFile,
        String optionFile,
        String optionSection,
        String slowLogFile) {
    public SqlAdmin {
        requireNonNull(host, "host is null");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port %d is outside 1..65535".formatted(port));
        }
        requireNonNull(user, "user is null");
        requireNonNull(passwordFile, "passwordFile is null");
        requireNonNull(optionFile, "optionFile is null");
        requireNonNull(optionSection, "optionSection is null");
        slowLogFile = slowLogFile == null ? "" : slowLogFile;
    }

    /**
     * A value as a MySQL-compatible option file reads it back. The server ends a line at a
     * {@code #} outside quotes, trims the spaces around a value, strips one pair of quotes around
     * it and reads backslash escapes: a value with any of those is written in double quotes, its
     * backslashes and double quotes escaped. So is one with a character outside printable ASCII:
     * the server trims by byte, and a UTF-8 sequence's last byte can be a Latin-1 space (0xA0).
     * A line break cannot be written at all; callers refuse it.
     */
    public static String optionFileValue(String value) {
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("an option file value cannot hold a line break");
        }
        boolean plain = !value.isEmpty()
                && value.strip().equals(value)
                && value.chars().allMatch(c -> c >= ' ' && c <= '~' && c != '#' && c != '"' && c != '\\' && c != '\'');
        return plain ? value : '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
