package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

/**
 * Whether Flotilla runs a component on its own machines, or only describes it (validates its
 * topology, renders its command line and files) until its binaries can be fetched.
 */
public sealed interface Support {
    record Runnable() implements Support {}

    record DescribedOnly(String reason) implements Support {
        public DescribedOnly {
            requireNonNull(reason, "reason is null");
        }
    }

    Support RUNNABLE = new Runnable();

    static Support describedOnly(String reason) {
        return new DescribedOnly(reason);
    }
}
