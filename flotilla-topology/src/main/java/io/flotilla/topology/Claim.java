package io.flotilla.topology;

/** Something an instance takes for itself on its host: a port or a directory. */
sealed interface Claim permits PortClaim, DirClaim {
    Instance instance();

    /** TiUP's name for the claim: {@code <section>:<host>.<field>}, such as {@code tidb_servers:10.0.1.1.port}. */
    String label();

    /** The instance, for a person: {@code tidb 10.0.1.1:4000}. */
    default String owner() {
        return "%s %s".formatted(instance().component(), instance().id());
    }

    default String label(String field) {
        return "%s:%s.%s".formatted(instance().schema().section(), instance().host(), field);
    }

    /**
     * Who holds the claim. The two exporters of a host share the {@code monitored} directories, so
     * they count as one holder; every other instance holds its own claims.
     */
    default Object holder() {
        return isExporter(instance()) ? "monitored@" + instance().host() : instance();
    }

    static boolean isExporter(Instance instance) {
        return instance.schema().equals(Schemas.NODE_EXPORTER)
                || instance.schema().equals(Schemas.BLACKBOX_EXPORTER);
    }
}
