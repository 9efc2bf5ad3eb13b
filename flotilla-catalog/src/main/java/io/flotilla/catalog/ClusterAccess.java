package io.flotilla.catalog;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.exec.Executor;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;

/**
 * What the steps of a component's facets reach while they run: the cluster's topology, a command
 * runner per host, the agent of each host and every instance's context. The planners pass the
 * cluster as it is or as the operation leaves it.
 */
public interface ClusterAccess {
    String name();

    Topology topology();

    Executor executor(String host);

    AgentClient agent(String host);

    InstanceContext instanceContext(Instance instance);

    ClusterSecrets secrets();

    /**
     * Empties {@code dir}, one of {@code instance}'s own, on its host, keeping what says it is this
     * cluster's; refused for a dir that is not.
     */
    void emptyDir(Instance instance, String dir);
}
