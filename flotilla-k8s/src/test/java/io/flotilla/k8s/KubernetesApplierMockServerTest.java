package io.flotilla.k8s;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The applier against fabric8's mock API server in CRUD mode, because no real API server can run
 * here. The mock stores and serves objects but runs no controllers and no pods, so
 * {@link TestingKubernetesController} reports workloads ready when a test allows it; what a real
 * cluster's scheduler, kubelets and controllers would do is not tested here.
 */
class KubernetesApplierMockServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(20);

    private KubernetesMockServer server;
    private KubernetesClient client;
    private TestingKubernetesController controller;
    private final List<String> progress = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startServer() {
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
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        controller.close();
        client.close();
        server.destroy();
    }

    private KubernetesApplier applier(Duration timeout) {
        return new KubernetesApplier(client, timeout, POLL, progress::add);
    }

    @Test
    void aTierIsNotCreatedUntilTheOneBeforeItIsReady() throws Exception {
        Manifests manifests = ManifestRendererGoldenTest.tidb();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<KubernetesApplier.ApplySummary> apply =
                    CompletableFuture.supplyAsync(() -> applier(TIMEOUT).apply(manifests), executor);

            assertEventually(TIMEOUT, () -> assertThat(progress).contains("pd: StatefulSet basic-pd 0/3 ready"));
            assertThat(statefulSet("basic-pd")).isNotNull();
            assertThat(statefulSet("basic-tikv")).isNull();
            assertThat(client.configMaps()
                            .inNamespace("tidb")
                            .withName("basic-tikv-config")
                            .get())
                    .isNull();

            controller.makeReady("pd");
            assertEventually(TIMEOUT, () -> assertThat(progress).contains("tikv: StatefulSet basic-tikv 0/3 ready"));
            assertThat(statefulSet("basic-pd").getStatus().getReadyReplicas()).isEqualTo(3);
            assertThat(client.apps()
                            .deployments()
                            .inNamespace("tidb")
                            .withName("basic-tidb")
                            .get())
                    .isNull();

            controller.makeReady("tikv");
            assertEventually(TIMEOUT, () -> assertThat(progress).contains("tidb: Deployment basic-tidb 0/1 ready"));
            assertThat(client.batch()
                            .v1()
                            .jobs()
                            .inNamespace("tidb")
                            .withName("basic-init-root")
                            .get())
                    .isNull();

            controller.makeReady("tidb", "init-root");
            KubernetesApplier.ApplySummary summary = apply.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

            assertThat(summary)
                    .isEqualTo(new KubernetesApplier.ApplySummary(
                            manifests.objects().size(), 0, 0));
        }
        assertThat(progress)
                .containsSubsequence(
                        "namespace tidb created",
                        "layer 0 (pd): 6 objects applied: 6 created, 0 updated, 0 unchanged",
                        "pd: StatefulSet basic-pd 0/3 ready",
                        "pd: StatefulSet basic-pd 3/3 ready",
                        "layer 1 (tikv): 4 objects applied: 4 created, 0 updated, 0 unchanged",
                        "tikv: StatefulSet basic-tikv 3/3 ready",
                        "layer 2 (tidb): 4 objects applied: 4 created, 0 updated, 0 unchanged",
                        "tidb: Deployment basic-tidb 2/2 ready",
                        "layer 3 (init-root): 1 objects applied: 1 created, 0 updated, 0 unchanged",
                        "init-root: Job basic-init-root 1/1 succeeded");
    }

    @Test
    void theMariaDbPrimaryIsReadyBeforeItsReplicasAreCreated() throws Exception {
        Manifests manifests = ManifestRendererGoldenTest.renderer()
                .render(
                        ManifestRendererGoldenTest.topology("mariadb-on-kubernetes.yaml"),
                        RenderOptions.of("shop").withNamespace("tidb").withStorageClass("fast-ssd"));
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<KubernetesApplier.ApplySummary> apply =
                    CompletableFuture.supplyAsync(() -> applier(TIMEOUT).apply(manifests), executor);

            assertEventually(
                    TIMEOUT,
                    () -> assertThat(progress).contains("mariadb-primary: StatefulSet shop-mariadb-primary 0/1 ready"));
            assertThat(statefulSet("shop-mariadb-replica")).isNull();

            controller.makeReady("mariadb-primary");
            assertEventually(
                    TIMEOUT,
                    () -> assertThat(statefulSet("shop-mariadb-replica")).isNotNull());
            controller.makeReady("mariadb-replica", "haproxy", "init-root");
            apply.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void aSecondApplyChangesNothing() throws Exception {
        Manifests manifests = ManifestRendererGoldenTest.tidb();
        controller.makeReady("pd", "tikv", "tidb", "init-root");
        applier(TIMEOUT).apply(manifests);
        Map<String, String> versions = resourceVersions(manifests);
        progress.clear();

        KubernetesApplier.ApplySummary again = applier(TIMEOUT).apply(ManifestRendererGoldenTest.tidb());

        assertThat(again)
                .isEqualTo(new KubernetesApplier.ApplySummary(
                        0, 0, manifests.objects().size()));
        assertThat(resourceVersions(manifests)).isEqualTo(versions);
        assertThat(progress).doesNotContain("namespace tidb created");
    }

    @Test
    void anUpdatedWorkloadIsNotReadyUntilItsControllerHasSeenTheChange() throws Exception {
        controller.makeReady("pd", "tikv", "tidb", "init-root");
        applier(TIMEOUT).apply(ManifestRendererGoldenTest.tidb());
        controller.close();
        progress.clear();
        Manifests changed = ManifestRendererGoldenTest.renderer()
                .render(
                        ManifestRendererGoldenTest.topology("tidb-on-kubernetes.yaml"),
                        RenderOptions.of("basic")
                                .withNamespace("tidb")
                                .withStorageClass("fast-ssd")
                                .withImageRegistry("registry.example.com:5000"));

        assertThatThrownBy(() -> applier(Duration.ofMillis(200)).apply(changed))
                .hasMessageStartingWith("StatefulSet basic-pd (tier pd) in namespace tidb did not become ready in 200"
                        + " ms: 0 of 3 pods ready");
        assertThat(statefulSet("basic-pd").getStatus().getReadyReplicas()).isEqualTo(3);
        assertThat(progress)
                .containsExactly(
                        "layer 0 (pd): 6 objects applied: 0 created, 1 updated, 5 unchanged",
                        "pd: StatefulSet basic-pd 0/3 ready");
    }

    @Test
    void anUnknownStorageClassIsRefusedBeforeAnythingIsCreated() throws Exception {
        Manifests manifests = ManifestRendererGoldenTest.renderer()
                .render(
                        ManifestRendererGoldenTest.topology("mariadb-on-kubernetes.yaml"),
                        RenderOptions.of("shop").withNamespace("tidb").withStorageClass("standard"));

        assertThatThrownBy(() -> applier(TIMEOUT).apply(manifests)).hasMessage("""
                        nothing was applied: 1 problem found before applying
                          storage class standard does not exist in the cluster (it has fast-ssd); pass one of them \
                        with --storage-class, see kubectl get storageclass""");
        assertThat(client.namespaces().withName("tidb").get()).isNull();
        assertThat(client.secrets().inNamespace("tidb").list().getItems()).isEmpty();
        assertThat(client.apps().statefulSets().inNamespace("tidb").list().getItems())
                .isEmpty();
    }

    @Test
    void aTierThatIsNotReadyInTimeNamesItsPodsAndTheirLastEvents() throws Exception {
        Manifests manifests = ManifestRendererGoldenTest.tidb();
        StatefulSet pd = (StatefulSet) manifests.objects().stream()
                .filter(object -> object.getMetadata().getName().equals("basic-pd") && object instanceof StatefulSet)
                .findFirst()
                .orElseThrow();
        Map<String, String> podLabels = pd.getSpec().getTemplate().getMetadata().getLabels();
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("tidb")
                        .endMetadata()
                        .build())
                .create();
        client.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("basic-pd-0")
                        .withNamespace("tidb")
                        .withLabels(podLabels)
                        .endMetadata()
                        .withNewStatus()
                        .withPhase("Running")
                        .addNewCondition()
                        .withType("Ready")
                        .withStatus("True")
                        .endCondition()
                        .endStatus()
                        .build())
                .create();
        client.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("basic-pd-1")
                        .withNamespace("tidb")
                        .withLabels(podLabels)
                        .endMetadata()
                        .withNewStatus()
                        .withPhase("Pending")
                        .endStatus()
                        .build())
                .create();
        for (int i = 1; i <= 6; i++) {
            client.resource(new EventBuilder()
                            .withNewMetadata()
                            .withName("basic-pd-1.event" + i)
                            .withNamespace("tidb")
                            .endMetadata()
                            .withNewInvolvedObject()
                            .withKind("Pod")
                            .withName("basic-pd-1")
                            .withNamespace("tidb")
                            .endInvolvedObject()
                            .withReason(i == 6 ? "FailedScheduling" : "Pulling")
                            .withMessage(i == 6 ? "0/3 nodes are available: 3 Insufficient memory" : "attempt " + i)
                            .withLastTimestamp("2026-11-21T10:00:0%dZ".formatted(i))
                            .build())
                    .create();
        }

        assertThatThrownBy(() -> applier(Duration.ofMillis(200)).apply(manifests))
                .isInstanceOfSatisfying(
                        KubernetesApplyException.class,
                        e -> assertThat(e.code()).isEqualTo(KubernetesApplyException.NOT_READY))
                .hasMessage("""
                        StatefulSet basic-pd (tier pd) in namespace tidb did not become ready in 200 ms: 0 of 3 pods ready
                          pod basic-pd-1 (Pending, not ready, 0 restarts):
                            Pulling: attempt 2
                            Pulling: attempt 3
                            Pulling: attempt 4
                            Pulling: attempt 5
                            FailedScheduling: 0/3 nodes are available: 3 Insufficient memory
                        The later layers were not applied; what was applied stays. Look at kubectl -n tidb describe \
                        pod basic-pd-1, fix the cause and apply again.""");
        assertThat(statefulSet("basic-tikv")).isNull();
    }

    @Test
    void everyProblemIsRefusedBeforeAnythingIsCreated() throws Exception {
        client.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName("small-node")
                        .endMetadata()
                        .withNewStatus()
                        .withAllocatable(Map.of("cpu", new Quantity("2"), "memory", new Quantity("8Gi")))
                        .endStatus()
                        .build())
                .create();
        Manifests manifests = ManifestRendererGoldenTest.renderer()
                .render(
                        ManifestRendererGoldenTest.topology("tidb-on-kubernetes.yaml"),
                        RenderOptions.of("basic")
                                .withNamespace("tidb")
                                .withStorageClass("slow-hdd")
                                .withExistingSecret("basic-passwords"));

        assertThatThrownBy(() -> applier(TIMEOUT).apply(manifests))
                .isInstanceOfSatisfying(
                        KubernetesApplyException.class,
                        e -> assertThat(e.code()).isEqualTo(KubernetesApplyException.REFUSED))
                .hasMessage("""
                        nothing was applied: 3 problems found before applying
                          Secret basic-passwords does not exist in namespace tidb, and the pods read key root-password \
                        from it; create it (kubectl -n tidb create secret generic basic-passwords \
                        --from-literal=root-password=…) or render without --existing-secret to generate one
                          storage class slow-hdd does not exist in the cluster (it has fast-ssd); pass one of them \
                        with --storage-class, see kubectl get storageclass
                          StatefulSet basic-tikv asks for 4 CPU and 16 GiB of memory per pod, and no schedulable node \
                        has that much allocatable (the largest, small-node, has 2 CPU and 8 GiB of memory); lower \
                        resource_control or the autoscale requests in the topology, or add larger nodes""");
        assertNothingIn("tidb");
    }

    @Test
    void aMissingKeyOfAnExistingSecretIsRefused() throws Exception {
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("tidb")
                        .endMetadata()
                        .build())
                .create();
        client.resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("basic-passwords")
                        .withNamespace("tidb")
                        .endMetadata()
                        .withData(Map.of("password", "c2VjcmV0"))
                        .build())
                .create();
        Manifests manifests = ManifestRendererGoldenTest.renderer()
                .render(
                        ManifestRendererGoldenTest.topology("tidb-on-kubernetes.yaml"),
                        RenderOptions.of("basic")
                                .withNamespace("tidb")
                                .withStorageClass("fast-ssd")
                                .withExistingSecret("basic-passwords"));

        assertThatThrownBy(() -> applier(TIMEOUT).apply(manifests)).hasMessage("""
                        nothing was applied: 1 problem found before applying
                          Secret basic-passwords in namespace tidb has no key root-password, which the pods read; add \
                        that key""");
        assertNothingIn("tidb");
    }

    @Test
    void statusListsTheWorkloadsInStartOrderWithTheirPods() throws Exception {
        Manifests manifests = ManifestRendererGoldenTest.tidb();
        controller.makeReady("pd", "tikv", "tidb", "init-root");
        applier(TIMEOUT).apply(manifests);
        client.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("basic-pd-0")
                        .withNamespace("tidb")
                        .withLabels(Map.of(
                                "app.kubernetes.io/instance",
                                "basic",
                                "app.kubernetes.io/component",
                                "pd",
                                "app.kubernetes.io/name",
                                "pd",
                                "app.kubernetes.io/part-of",
                                "flotilla",
                                "app.kubernetes.io/managed-by",
                                "flotilla",
                                "flotilla.io/tier",
                                "pd"))
                        .endMetadata()
                        .withNewStatus()
                        .withPhase("Running")
                        .addNewCondition()
                        .withType("Ready")
                        .withStatus("True")
                        .endCondition()
                        .addNewContainerStatus()
                        .withName("pd")
                        .withRestartCount(2)
                        .endContainerStatus()
                        .endStatus()
                        .build())
                .create();

        ClusterStatus status = applier(TIMEOUT).status("basic", "tidb");

        assertThat(status.workloads())
                .containsExactly(
                        new ClusterStatus.Workload(
                                0,
                                "pd",
                                "StatefulSet",
                                "basic-pd",
                                3,
                                3,
                                List.of(new ClusterStatus.Pod("basic-pd-0", "Running", true, 2))),
                        new ClusterStatus.Workload(1, "tikv", "StatefulSet", "basic-tikv", 3, 3, List.of()),
                        new ClusterStatus.Workload(2, "tidb", "Deployment", "basic-tidb", 2, 2, List.of()),
                        new ClusterStatus.Workload(3, "init-root", "Job", "basic-init-root", 1, 1, List.of()));
        assertThat(applier(TIMEOUT).status("other", "tidb").workloads()).isEmpty();
    }

    @Test
    void scaleChangesTheReplicasAndWaitsForThem() throws Exception {
        Manifests manifests = ManifestRendererGoldenTest.tidb();
        controller.makeReady("pd", "tikv", "tidb", "init-root");
        applier(TIMEOUT).apply(manifests);
        progress.clear();

        applier(TIMEOUT).scale(manifests, "tikv", 4);

        assertThat(statefulSet("basic-tikv").getSpec().getReplicas()).isEqualTo(4);
        assertThat(progress)
                .containsSubsequence(
                        "tikv: StatefulSet basic-tikv scaled from 3 to 4 replicas",
                        "tikv: StatefulSet basic-tikv 4/4 ready");
    }

    @Test
    void scaleRefusesWhatWouldLoseTheQuorumOrFightTheAutoscaler() throws Exception {
        Manifests manifests = ManifestRendererGoldenTest.tidb();
        controller.makeReady("pd", "tikv", "tidb", "init-root");
        applier(TIMEOUT).apply(manifests);
        applier(TIMEOUT).scale(manifests, "tikv", 5);
        KubernetesApplier applier = applier(TIMEOUT);

        assertThatThrownBy(() -> applier.scale(manifests, "pd", 2))
                .hasMessage(
                        "pd cannot go below 3 pods: Raft keeps 3 copies (the PD members), and fewer pods than copies loses the quorum");
        assertThatThrownBy(() -> applier.scale(manifests, "pd", 5))
                .hasMessage(
                        "pd's members are fixed when the cluster starts (--initial-cluster names 3); a pod added or removed by scaling would not join or leave the Raft group. Keep pd at 3");
        assertThatThrownBy(() -> applier.scale(manifests, "tikv", 3))
                .hasMessage(
                        "tikv shrinks one pod at a time, so that every region keeps a majority of its replicas: scale to 4, wait for PD to move the regions, then go on");
        assertThatThrownBy(() -> applier.scale(manifests, "tidb", 4))
                .hasMessage(
                        "tidb is autoscaled: its HorizontalPodAutoscaler basic-tidb owns the replica count (2 to 10 pods); change autoscale.tidb in the topology and apply it again");
        assertThatThrownBy(() -> applier.scale(manifests, "tiflash", 1))
                .hasMessage("there is no tier tiflash to scale; the topology's tiers are pd, tikv, tidb");
        assertThat(statefulSet("basic-pd").getSpec().getReplicas()).isEqualTo(3);
        assertThat(statefulSet("basic-tikv").getSpec().getReplicas()).isEqualTo(5);
    }

    @Test
    void deleteKeepsTheVolumeClaimsAndTheSecretUnlessAsked() throws Exception {
        Manifests manifests = ManifestRendererGoldenTest.tidb();
        controller.makeReady("pd", "tikv", "tidb", "init-root");
        applier(TIMEOUT).apply(manifests);
        client.resource(new PersistentVolumeClaimBuilder()
                        .withNewMetadata()
                        .withName("data-basic-pd-0")
                        .withNamespace("tidb")
                        .withLabels(Map.of("app.kubernetes.io/instance", "basic", "app.kubernetes.io/component", "pd"))
                        .endMetadata()
                        .build())
                .create();
        progress.clear();

        KubernetesApplier.DeleteSummary kept = applier(TIMEOUT).delete("basic", "tidb", false);

        assertThat(kept.kept()).containsExactly("Secret basic-root", "PersistentVolumeClaim data-basic-pd-0");
        assertThat(kept.deleted()).startsWith("Job basic-init-root").endsWith("ConfigMap basic-pd-config");
        assertThat(kept.deleted()).hasSize(manifests.objects().size() - 1);
        assertThat(client.apps().statefulSets().inNamespace("tidb").list().getItems())
                .isEmpty();
        assertThat(client.persistentVolumeClaims().inNamespace("tidb").list().getItems())
                .hasSize(1);
        assertThat(progress.getLast())
                .isEqualTo(
                        "kept Secret basic-root, PersistentVolumeClaim data-basic-pd-0: the data and the passwords it"
                                + " was created with; delete them with --delete-volumes");

        KubernetesApplier.DeleteSummary all = applier(TIMEOUT).delete("basic", "tidb", true);

        assertThat(all.deleted()).containsExactly("Secret basic-root", "PersistentVolumeClaim data-basic-pd-0");
        assertThat(all.kept()).isEmpty();
        assertThat(client.persistentVolumeClaims().inNamespace("tidb").list().getItems())
                .isEmpty();
    }

    private StatefulSet statefulSet(String name) {
        return client.apps().statefulSets().inNamespace("tidb").withName(name).get();
    }

    private Map<String, String> resourceVersions(Manifests manifests) {
        Map<String, String> versions = new TreeMap<>();
        for (HasMetadata object : manifests.objects()) {
            HasMetadata live = client.resource(object).get();
            versions.put(
                    object.getKind() + "/" + object.getMetadata().getName(),
                    live.getMetadata().getResourceVersion());
        }
        return versions;
    }

    private void assertNothingIn(String namespace) {
        assertThat(client.namespaces().withName(namespace).get() == null
                        || client.secrets()
                                        .inNamespace(namespace)
                                        .list()
                                        .getItems()
                                        .size()
                                <= 1)
                .isTrue();
        assertThat(client.configMaps().inNamespace(namespace).list().getItems()).isEmpty();
        assertThat(client.services().inNamespace(namespace).list().getItems()).isEmpty();
        assertThat(client.apps().statefulSets().inNamespace(namespace).list().getItems())
                .isEmpty();
        assertThat(client.apps().deployments().inNamespace(namespace).list().getItems())
                .isEmpty();
        assertThat(client.batch().v1().jobs().inNamespace(namespace).list().getItems())
                .isEmpty();
        assertThat(client.secrets()
                        .inNamespace(namespace)
                        .withName("basic-root")
                        .get())
                .isNull();
    }
}
