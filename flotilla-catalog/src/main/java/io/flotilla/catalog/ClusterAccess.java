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
     * Makes {@code dir}, one of {@code instance}'s own, an empty dir on its host: the instance's dirs
     * are made where missing, marked as this cluster's, and {@code dir} is emptied but for that mark;
     * refused for a dir that is not this cluster's.
     */
    void emptyDir(Instance instance, String dir);
}
