package io.flotilla.cli;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.flotilla.engine.AuditLog;
import io.flotilla.engine.ClusterLock;
import io.flotilla.k8s.TestingKubernetesController;
import io.flotilla.k8s.TestingMockServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `flotilla k8s apply`, `status`, `scale` and `delete` as a user types them, against fabric8's mock
 * API server in CRUD mode through a kubeconfig file, because no real API server can run here. The
 * mock runs no pods: {@link TestingKubernetesController} reports the workloads ready.
 */
class K8sCommandMockServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private KubernetesMockServer server;
    private KubernetesClient client;
    private TestingKubernetesController controller;
    private Path kubeconfig;
    private Path topology;

    @BeforeEach
    void startServer() throws Exception {
        server = TestingMockServer.crud();
        client = server.createClient();
        controller = new TestingKubernetesController(client, "tidb");
        client.resource(new StorageClassBuilder()
                        .withNewMetadata()
                        .withName("fast-ssd")
                        .endMetadata()
                        .withProvisioner("kubernetes.io/no-provisioner")
                        .build())
                .create();
        kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [ { name: mock, cluster: { server: "%s" } } ]
                users: [ { name: tester, user: { token: not-checked } } ]
                contexts: [ { name: mock, context: { cluster: mock, user: tester } } ]
                current-context: mock
                """.formatted(server.url("/")));
        topology = dir.resolve("tidb.yaml");
        Files.writeString(topology, """
                pd_servers: [ { host: 10.0.1.1 }, { host: 10.0.1.2 }, { host: 10.0.1.3 } ]
                tikv_servers: [ { host: 10.0.1.4 }, { host: 10.0.1.5 }, { host: 10.0.1.6 } ]
                tidb_servers: [ { host: 10.0.1.7 }, { host: 10.0.1.8 } ]
                """);
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        controller.close();
        client.close();
        server.destroy();
    }

    private Cli.Result k8s(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "k8s";
        System.arraycopy(args, 0, all, 1, args.length);
        return new Cli(dir.resolve("home")).run(all);
    }

    @Test
    void applyReportsEachTierOnStandardErrorAndTheResultOnStandardOutput() {
        controller.makeReady("pd", "tikv", "tidb", "init-root");

        Cli.Result result = k8s(
                "apply",
                topology.toString(),
                "--name",
                "basic",
                "--namespace",
                "tidb",
                "--storage-class",
                "fast-ssd",
                "--kubeconfig",
                kubeconfig.toString(),
                "--timeout",
                "10",
                "--poll-interval-ms",
                "20");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out())
                .isEqualTo(
                        "Cluster basic is ready in namespace tidb: 14 objects, 14 created, 0 updated, 0 unchanged.\n");
        assertThat(result.err())
                .contains("layer 0 (pd): 6 objects applied: 6 created, 0 updated, 0 unchanged\n")
                .contains("pd: StatefulSet basic-pd 3/3 ready\n")
                .contains("init-root: Job basic-init-root 1/1 succeeded\n");

        // Like an operation on hosts: journaled step by step, audited, under the cluster's lock.
        Path store = dir.resolve("home/kubernetes/tidb/basic");
        assertThat(store.resolve("journal/current.jsonl"))
                .content()
                .contains("\"operation\":\"k8s-apply\"")
                .containsPattern("\"step\":\"k8s-apply/[0-9a-f]{12}/layer-0\"")
                .contains("\"result\":\"ok\"");
        assertThat(new AuditLog(dir.resolve("home/audit")).entries())
                .singleElement()
                .satisfies(entry -> {
                    assertThat(entry.cluster()).isEqualTo("tidb/basic");
                    assertThat(entry.command()).startsWith("flotilla k8s apply " + topology);
                    assertThat(entry.result()).isEqualTo("ok");
                });
        try (ClusterLock held = ClusterLock.acquire(store.resolve("lock"), "tidb/basic", "a test")) {
            Cli.Result busy = k8s(
                    "apply",
                    topology.toString(),
                    "--name",
                    "basic",
                    "--namespace",
                    "tidb",
                    "--kubeconfig",
                    kubeconfig.toString());
            assertThat(busy.exitCode()).isEqualTo(1);
            assertThat(busy.err()).startsWith("Error: cluster 'tidb/basic' is busy: pid ");
        }
    }

    @Test
    void applyRefusesAMissingSecretAndCreatesNothing() {
        Cli.Result result = k8s(
                "apply",
                topology.toString(),
                "--name",
                "basic",
                "--namespace",
                "tidb",
                "--storage-class",
                "fast-ssd",
                "--existing-secret",
                "basic-passwords",
                "--kubeconfig",
                kubeconfig.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("""
                Error: nothing was applied: 1 problem found before applying
                  Secret basic-passwords does not exist in namespace tidb, and the pods read key root-password from \
                it; create it (kubectl -n tidb create secret generic basic-passwords \
                --from-literal=root-password=…) or render without --existing-secret to generate one
                """);
        assertThat(client.namespaces().withName("tidb").get()).isNull();
        assertThat(client.apps().statefulSets().inNamespace("tidb").list().getItems())
                .isEmpty();
    }

    @Test
    void statusScaleAndDelete() throws Exception {
        controller.makeReady("pd", "tikv", "tidb", "init-root");
        String[] target = {"--name", "basic", "--namespace", "tidb", "--kubeconfig", kubeconfig.toString()};
        assertThat(k8s(
                                "apply",
                                topology.toString(),
                                "--name",
                                "basic",
                                "--namespace",
                                "tidb",
                                "--storage-class",
                                "fast-ssd",
                                "--kubeconfig",
                                kubeconfig.toString(),
                                "--poll-interval-ms",
                                "20")
                        .exitCode())
                .isZero();

        Cli.Result status = k8s(concat(new String[] {"status"}, target));
        assertThat(status.exitCode()).isZero();
        assertThat(status.out()).isEqualTo("""
                Cluster basic in namespace tidb

                LAYER  TIER       KIND         NAME             READY  PODS
                -----  ---------  -----------  ---------------  -----  ----
                0      pd         StatefulSet  basic-pd         3/3    -
                1      tikv       StatefulSet  basic-tikv       3/3    -
                2      tidb       Deployment   basic-tidb       2/2    -
                3      init-root  Job          basic-init-root  1/1    -
                """);
        Cli.Result json = k8s(concat(new String[] {"status", "--format", "json"}, target));
        assertThat(json.out()).contains("\"name\" : \"basic-tikv\"").contains("\"desired\" : 3");

        Cli.Result scale = k8s(
                "scale",
                topology.toString(),
                "tikv",
                "4",
                "--name",
                "basic",
                "--namespace",
                "tidb",
                "--kubeconfig",
                kubeconfig.toString(),
                "--poll-interval-ms",
                "20");
        assertThat(scale.exitCode()).as(scale.err()).isZero();
        assertThat(scale.out()).isEqualTo("Tier tikv of cluster basic has 4 ready pods.\n");
        Cli.Result refused = k8s(
                "scale",
                topology.toString(),
                "pd",
                "1",
                "--name",
                "basic",
                "--namespace",
                "tidb",
                "--kubeconfig",
                kubeconfig.toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err())
                .isEqualTo("Error: pd cannot go below 3 pods: Raft keeps 3 copies (the PD members), and fewer pods"
                        + " than copies loses the quorum\n");

        client.resource(new PersistentVolumeClaimBuilder()
                        .withNewMetadata()
                        .withName("data-basic-tikv-0")
                        .withNamespace("tidb")
                        .withLabels(Map.of("app.kubernetes.io/instance", "basic"))
                        .endMetadata()
                        .build())
                .create();
        Cli.Result unconfirmed = k8s(concat(new String[] {"delete"}, target));
        assertThat(unconfirmed.exitCode()).isEqualTo(1);
        assertThat(unconfirmed.err()).isEqualTo("Error: deleting cluster basic stops it; add --yes to go on\n");

        Cli.Result delete = k8s(concat(new String[] {"delete", "--yes"}, target));
        assertThat(delete.exitCode()).as(delete.err()).isZero();
        assertThat(delete.out())
                .isEqualTo("Cluster basic deleted from namespace tidb: 13 objects deleted, kept Secret basic-root,"
                        + " PersistentVolumeClaim data-basic-tikv-0.\n");
        assertEventually(
                TIMEOUT,
                () -> assertThat(client.apps()
                                .statefulSets()
                                .inNamespace("tidb")
                                .list()
                                .getItems())
                        .isEmpty());
        assertThat(client.persistentVolumeClaims().inNamespace("tidb").list().getItems())
                .hasSize(1);
        assertThat(k8s(concat(new String[] {"status"}, target)).err())
                .isEqualTo("Error: there is no cluster basic in namespace tidb: no StatefulSet, Deployment or Job has"
                        + " the label app.kubernetes.io/instance=basic; check --name and --namespace\n");
    }

    private static String[] concat(String[] first, String[] second) {
        String[] all = new String[first.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}
