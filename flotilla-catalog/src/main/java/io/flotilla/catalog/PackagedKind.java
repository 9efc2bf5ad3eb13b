package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import io.flotilla.topology.ComponentSchema;
import java.time.Duration;

/**
 * A component Flotilla runs on its own machines from a program a Debian package installs. What
 * sets it apart from the others (its schema, program, package and ready timeout) is given once, to
 * the constructor; the subclass says how it is started, configured and probed.
 */
abstract class PackagedKind implements ComponentKind {
    private final ComponentSchema schema;
    private final String binary;
    private final String binaryPackage;
    private final Duration readyTimeout;

    PackagedKind(ComponentSchema schema, String binary, String binaryPackage, Duration readyTimeout) {
        this.schema = requireNonNull(schema, "schema is null");
        this.binary = requireNonNull(binary, "binary is null");
        this.binaryPackage = requireNonNull(binaryPackage, "binaryPackage is null");
        this.readyTimeout = requireNonNull(readyTimeout, "readyTimeout is null");
    }

    @Override
    public final ComponentSchema schema() {
        return schema;
    }

    @Override
    public final Support support() {
        return Support.RUNNABLE;
    }

    @Override
    public final String binary() {
        return binary;
    }

    @Override
    public final String binaryPackage() {
        return binaryPackage;
    }

    @Override
    public final Duration readyTimeout() {
        return readyTimeout;
    }
}
