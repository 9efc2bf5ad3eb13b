package io.flotilla.testing;

import java.util.Arrays;
import java.util.List;

/** Closes a test's fixtures in order, each even when one before it failed to close. */
public final class Teardown {
    private Teardown() {}

    /** Closes each fixture that is not null, in order; a failure to close one does not keep the others open. */
    public static void closeAll(AutoCloseable... fixtures) {
        closeAll(Arrays.asList(fixtures));
    }

    public static void closeAll(List<? extends AutoCloseable> fixtures) {
        for (AutoCloseable each : fixtures) {
            if (each != null) {
                try {
                    each.close();
                } catch (Exception ignored) {
                    // Torn down anyway: the temporary directory goes with the test.
                }
            }
        }
    }
}
