package io.flotilla.agent;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.InstanceSpec;

/** The form of a supervised instance on disk: its spec, and whether it is to run. */
record StoredInstance(InstanceSpec spec, boolean run) {
    StoredInstance {
        requireNonNull(spec, "spec is null");
    }
}
