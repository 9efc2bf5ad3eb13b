package io.flotilla.sql.session;

import static java.util.Objects.requireNonNull;

/**
 * A user of the SQL endpoint. The server keeps the plaintext password because both MySQL
 * scrambles are computed from it; it is never empty.
 *
 * @param readOnly reads every table but is refused {@code SET CONFIG}
 */
public record Account(String user, String password, boolean readOnly) {
    /** The account with every right: the cluster's root password. */
    public static final String ROOT = "root";

    /** The account that reads every cluster table and changes nothing. */
    public static final String READ_ONLY = "flotilla_ro";

    public Account {
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        if (user.isBlank()) {
            throw new IllegalArgumentException("user is empty");
        }
        if (password.isBlank()) {
            throw new IllegalArgumentException("the password of SQL user '%s' is empty".formatted(user));
        }
    }

    public static Account root(String password) {
        return new Account(ROOT, password, false);
    }

    public static Account readOnly(String password) {
        return new Account(READ_ONLY, password, true);
    }

    @Override
    public String toString() {
        return "Account[" + user + (readOnly ? ", read-only" : "") + "]";
    }
}
