package io.flotilla.step;

/** The work of one action; it checks before it acts, so that running it twice is safe. */
@FunctionalInterface
public interface Task {
    void run() throws Exception;
}
