package io.flotilla.sql;

import static java.util.Objects.requireNonNull;

/**
 * One row of {@code SHOW WARNINGS}: a node that did not answer, a setting that needs a restart.
 *
 * @param level {@code Note}, {@code Warning} or {@code Error}, as MySQL spells them
 * @param code the MySQL error code shown with it ({@code 1105} ER_UNKNOWN_ERROR when none fits)
 * @param message what happened, naming the instance or host
 */
public record Warning(String level, int code, String message) {
    public static final int ER_UNKNOWN_ERROR = 1105;

    public Warning {
        requireNonNull(level, "level is null");
        requireNonNull(message, "message is null");
    }

    public static Warning warning(String message) {
        return new Warning("Warning", ER_UNKNOWN_ERROR, message);
    }
}
