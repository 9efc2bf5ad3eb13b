package io.flotilla.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * The warnings of the statement a session is running. The front-end clears it before each
 * statement (except {@code SHOW WARNINGS} itself); tables and {@code SET CONFIG} add to it, possibly
 * from several threads at once.
 */
public final class Warnings {
    private final List<Warning> warnings = new ArrayList<>();

    public synchronized void add(Warning warning) {
        warnings.add(warning);
    }

    public void warn(String message) {
        add(Warning.warning(message));
    }

    public synchronized List<Warning> list() {
        return List.copyOf(warnings);
    }

    public synchronized int count() {
        return warnings.size();
    }

    public synchronized void clear() {
        warnings.clear();
    }
}
