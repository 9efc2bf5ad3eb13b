package io.flotilla.operations;

import io.flotilla.catalog.Catalog;
import io.flotilla.catalog.ClusterSecrets;
import io.flotilla.engine.ClusterMeta;
import io.flotilla.engine.ClusterStore;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.exec.Executor;
import io.flotilla.plan.AgentRuntime;
import io.flotilla.plan.ClusterContext;
import io.flotilla.plan.ClusterTls;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The clusters of a home as operations see them: a stored cluster, or the reason there is none, and its context. */
final class ClusterContexts {
    private final FlotillaHome home;
    private final Catalog catalog;

    ClusterContexts(FlotillaHome home, Catalog catalog) {
        this.home = home;
        this.catalog = catalog;
    }

    /** The stored cluster, or an error that lists the clusters there are. */
    ClusterStore existing(String name) {
        ClusterStore store = home.cluster(name);
        if (!store.exists()) {
            String known = home.clusters().stream().map(ClusterStore::name).collect(Collectors.joining(", "));
            throw new OperationException(
                    ErrorCode.NO_CLUSTER,
                    "cluster '%s' does not exist%s"
                            .formatted(
                                    name,
                                    known.isEmpty()
                                            ? "; deploy one with `flotilla cluster deploy NAME FILE`"
                                            : "; the clusters are: " + known));
        }
        return store;
    }

    ClusterContext of(ClusterStore store) {
        Topology topology = TopologyParser.parseStored(
                store.topologyText(), store.topologyFile().toString());
        return of(store, topology, store.meta(), store.secrets());
    }

    ClusterContext of(ClusterStore store, Topology topology, ClusterMeta meta, ClusterSecrets secrets) {
        return of(store, topology, meta, secrets, hosts(store, meta));
    }

    ClusterContext of(
            ClusterStore store,
            Topology topology,
            ClusterMeta meta,
            ClusterSecrets secrets,
            Function<String, Executor> executors) {
        return of(store, topology, meta, secrets, store.tls(), executors);
    }

    /** A context whose close() also closes {@code executors} when they are {@link AutoCloseable}. */
    ClusterContext of(
            ClusterStore store,
            Topology topology,
            ClusterMeta meta,
            ClusterSecrets secrets,
            ClusterTls tls,
            Function<String, Executor> executors) {
        return new ClusterContext(
                store.name(),
                topology,
                catalog,
                secrets,
                tls,
                meta.agentPorts(),
                meta.checkPorts(),
                executors,
                AgentRuntime.current(home.cache()),
                meta.osUser(),
                meta.createdAt());
    }

    static Hosts hosts(ClusterStore store, ClusterMeta meta) {
        return new Hosts(meta.ssh(), store.dir().resolve("known_hosts"));
    }
}
