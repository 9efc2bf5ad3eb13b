package io.flotilla.catalog;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.SqlAdmin;
import io.flotilla.topology.ComponentSchema;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything Flotilla knows about one component: how it appears in a topology, where it sits in
 * the start order, how it is started, configured and probed. One implementation per component;
 * the engine never asks which component it is dealing with.
 */
public interface ComponentKind {
    ComponentSchema schema();

    default String name() {
        return schema().component();
    }

    Support support();

    /** The program that runs the component, as an absolute path. */
    String binary();

    /** The Debian package that installs {@link #binary()}. */
    String binaryPackage();

    /**
     * The start tier of an instance. Most components have a single tier named after them; MariaDB
     * puts its primary and its replicas in two tiers so that replicas start after the primary.
     */
    default String tier(Instance instance) {
        return name();
    }

    /** The tiers that must be ready before {@code tier} starts; tiers absent from a topology are ignored. */
    Set<String> dependencies(String tier);

    /** How long a started instance may take to become ready. */
    Duration readyTimeout();

    List<String> commandLine(InstanceContext context);

    /** Files to write under the instance's deploy dir, relative path to content. */
    Map<String, String> configFiles(InstanceContext context);

    /** When the instance is fully ready. */
    Probe readiness(InstanceContext context);

    /** When the instance serves well enough for {@link #configure} to run; by default its readiness. */
    default Probe serving(InstanceContext context) {
        return readiness(context);
    }

    default Optional<Bootstrap> bootstrap(InstanceContext context, ClusterSecrets secrets) {
        return Optional.empty();
    }

    /**
     * Idempotent configuration that needs the running instance (a replica joining its primary),
     * asked of the agent on the instance's host. Runs every start, after {@link #serving} and
     * before {@link #readiness}.
     */
    default void configure(InstanceContext context, AgentClient agent) {}

    /**
     * How the instance's agent administers it over SQL (config, sessions, slow log, replication);
     * empty for components that do not speak SQL.
     */
    default Optional<SqlAdmin> sqlAdmin(InstanceContext context) {
        return Optional.empty();
    }

    /** Logs the instance writes besides its output, which log search reads too. */
    default List<String> logFiles(InstanceContext context) {
        return List.of();
    }

    /** How long a stop waits for the process to exit before killing it. */
    default int stopTimeoutSeconds() {
        return 30;
    }

    /** How a running instance re-reads its configuration files without a restart, when it can. */
    default Optional<Reload> reload() {
        return Optional.empty();
    }

    /**
     * Whether the component runs one instance on every host of the cluster (an exporter): it is never
     * scaled in on its own, and leaves with the last other instance of its host.
     */
    default boolean everyHost() {
        return false;
    }

    /** The facet of a component whose instances are peers in a membership (etcd). */
    default Optional<Membership> membership() {
        return Optional.empty();
    }

    /** The facet of a component whose instances replicate from one primary (MariaDB). */
    default Optional<Replication> replication() {
        return Optional.empty();
    }

    /**
     * What {@code SET CONFIG} may change while the component runs; empty when nothing (deny by
     * default: a component that speaks SQL must say which of its settings are safe to change).
     */
    default Optional<Settings> settings() {
        return Optional.empty();
    }

    /** The facet of a component that runs as pods on Kubernetes; a component without it is not rendered. */
    default Optional<KubernetesPods> kubernetes() {
        return Optional.empty();
    }

    /**
     * Why {@code instance} may not leave the cluster {@code topology} now, with what to do instead;
     * empty when it may.
     */
    default Optional<String> scaleInRefusal(String cluster, Topology topology, Instance instance) {
        return Optional.empty();
    }

    /**
     * How clients reach the cluster through this component (see {@link Endpoints}), by endpoint
     * name; empty when it offers none.
     */
    default Map<String, String> endpoints(Topology topology) {
        return Map.of();
    }
}
