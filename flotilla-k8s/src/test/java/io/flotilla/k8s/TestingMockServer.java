package io.flotilla.k8s;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;

/**
 * fabric8's mock API server in CRUD mode: it stores what clients write and serves it back, but runs
 * no controllers, scheduler or kubelets. It stands in for a real API server, which cannot run here.
 */
public final class TestingMockServer {
    private TestingMockServer() {}

    public static KubernetesMockServer crud() {
        KubernetesMockServer server = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        return server;
    }
}
