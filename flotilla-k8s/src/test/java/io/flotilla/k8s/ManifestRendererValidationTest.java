package io.flotilla.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every problem is refused before anything is rendered, all at once, each naming what it is about. */
class ManifestRendererValidationTest {
    private static final String TIDB = """
            pd_servers: [ { host: 10.0.1.1 }, { host: 10.0.1.2 }, { host: 10.0.1.3 } ]
            tikv_servers: [ { host: 10.0.1.4 }, { host: 10.0.1.5 }, { host: 10.0.1.6 } ]
            tidb_servers: [ { host: 10.0.1.7 }, { host: 10.0.1.8 } ]
            """;

    private static List<String> problems(String yaml, RenderOptions options) {
        Topology topology = TopologyParser.parse(yaml, "topology.yaml");
        try {
            ManifestRendererGoldenTest.renderer().render(topology, options);
        } catch (RenderException e) {
            return e.problems();
        }
        throw new AssertionError("the topology was rendered");
    }

    private static Manifests render(String yaml, RenderOptions options) {
        return ManifestRendererGoldenTest.renderer().render(TopologyParser.parse(yaml, "topology.yaml"), options);
    }

    @Test
    void badOptionsAreAllReported() {
        RenderOptions options = RenderOptions.of("Basic_Cluster")
                .withNamespace("Team A")
                .withStorageClass("Fast_SSD")
                .withImageRegistry("https://registry.example.com")
                .withNodePorts(Set.of("tikv", "haproxy"))
                .withStorageSizes(Map.of("tikv", "lots", "tidb", "10Gi"));

        assertThat(problems(TIDB, options))
                .containsExactly(
                        "cluster name 'Basic_Cluster' is not valid on Kubernetes; use at most 40 lower case letters,"
                                + " digits or '-', starting and ending with a letter or digit",
                        "namespace 'Team A' is not a valid DNS-1123 label; use at most 63 lower case letters, digits"
                                + " or '-', starting and ending with a letter or digit",
                        "storage class 'Fast_SSD' is not a valid storage class name (a DNS-1123 subdomain: lower case"
                                + " letters, digits, '-' and '.'); see kubectl get storageclass",
                        "image registry 'https://registry.example.com' is not valid; give a host with an optional port"
                                + " and path, such as registry.example.com:5000/mirror, without a scheme",
                        "--node-port haproxy: the topology has no haproxy",
                        "--node-port tikv: only the Services of tidb and haproxy can be NodePorts",
                        "--storage-size tidb: only pd, tikv and mariadb keep data on volumes",
                        "--storage-size tikv=lots: 'lots' is not a size; use a quantity such as 100Gi");
    }

    @Test
    void autoscaleEntriesAreChecked() {
        String yaml = TIDB + """
                autoscale:
                  tidb: { min_replicas: 5, max_replicas: 3, target_cpu_utilization: 120, cpu_request: two, memroy_request: 4Gi }
                  tikv: { max_replicas: 6, cpu_request: "4" }
                  tiflash: { max_replicas: 6, cpu_request: "4" }
                  tidbx: { max_replicas: 6, cpu_request: "4" }
                """;

        assertThat(problems(yaml, RenderOptions.of("basic")))
                .containsExactly(
                        "unknown key 'memroy_request' in autoscale.tidb; use min_replicas, max_replicas,"
                                + " target_cpu_utilization, cpu_request, memory_request",
                        "autoscale.tidb.cpu_request 'two' is not a Kubernetes quantity; use a number with an optional"
                                + " unit, such as 2, 500m or 4Gi",
                        "autoscale.tidb.min_replicas 5 is greater than max_replicas 3",
                        "autoscale.tidb.target_cpu_utilization 120 is outside 1-100; it is a percentage of the CPU"
                                + " request",
                        "autoscale.tidbx: there is no component 'tidbx'; autoscale a stateless tier such as tidb",
                        "autoscale.tiflash: tiflash keeps data, and a HorizontalPodAutoscaler would add and remove its"
                                + " pods without moving the data; autoscale a stateless tier such as tidb",
                        "autoscale.tikv: tikv keeps data, and a HorizontalPodAutoscaler would add and remove its pods"
                                + " without moving the data; autoscale a stateless tier such as tidb");
    }

    @Test
    void anAutoscaledTierNeedsACpuRequest() {
        String yaml = TIDB + "autoscale: { tidb: { max_replicas: 4 } }\n";

        assertThat(problems(yaml, RenderOptions.of("basic")))
                .containsExactly("autoscale.tidb has no cpu_request; a HorizontalPodAutoscaler measures CPU utilization"
                        + " against the pods' CPU request, so set one, such as cpu_request: \"2\"");
    }

    @Test
    void componentsWithoutAKubernetesWorkloadAreRefusedAndMonitoringIsLeftOut() {
        String yaml = """
                tikv_servers: [ { host: 10.0.1.4 } ]
                tiflash_servers: [ { host: 10.0.1.5 } ]
                tidb_servers: [ { host: 10.0.1.7 } ]
                """;

        assertThat(problems(yaml, RenderOptions.of("basic")))
                .containsExactly(
                        "tiflash_servers: tiflash does not run on Kubernetes with Flotilla yet; remove it from the"
                                + " topology, or deploy the cluster to hosts with flotilla cluster deploy",
                        "pd_servers: the TiDB cluster needs pd, and the topology declares none");
    }

    @Test
    void oneTierIsOnePodTemplate() {
        String yaml = """
                pd_servers: [ { host: 10.0.1.1 } ]
                tikv_servers:
                  - host: 10.0.1.4
                    resource_control: { memory_limit: 50%, cpu_quota: 400% }
                  - host: 10.0.1.4
                    port: 20161
                    status_port: 20181
                    resource_control: { memory_limit: 50%, cpu_quota: 400% }
                tidb_servers:
                  - host: 10.0.1.7
                  - host: 10.0.1.8
                    config: { log.slow-threshold: 100 }
                    resource_control: { cpu_quota: 150% }
                """;

        assertThat(problems(yaml, RenderOptions.of("basic")))
                .containsExactly(
                        "tikv 10.0.1.4:20160: resource_control.memory_limit '50%' is not a size Kubernetes can limit a"
                                + " pod to; give one such as 32G",
                        "tidb 10.0.1.8:4000: its config differs from 10.0.1.7:4000's, and Kubernetes runs every pod of"
                                + " the tidb tier from one template; move the settings to server_configs.tidb",
                        "tidb 10.0.1.8:4000: its resource_control differs from 10.0.1.7:4000's, and Kubernetes runs"
                                + " every pod of the tidb tier from one template; give them the same");
    }

    @Test
    void haproxyOnKubernetesNeedsMariadb() {
        String yaml = TIDB + "haproxy_servers: [ { host: 10.0.1.9 } ]\n";

        assertThat(problems(yaml, RenderOptions.of("basic")))
                .containsExactly("haproxy_servers: on Kubernetes HAProxy routes to MariaDB, and the topology has no"
                        + " mariadb_servers; a TiDB Service balances its pods by itself");
    }

    @Test
    void theExceptionMessageListsEveryProblem() {
        Topology topology = TopologyParser.parse(TIDB, "topology.yaml");

        assertThatThrownBy(() -> ManifestRenderer.standard()
                        .render(
                                topology,
                                RenderOptions.of("basic").withNamespace("-x").withStorageClass("a..b")))
                .isInstanceOfSatisfying(
                        RenderException.class, error -> assertThat(error.code()).isEqualTo("K8S_RENDER_REFUSED"))
                .hasMessage("""
                        the topology cannot be rendered for Kubernetes: 2 problems
                          namespace '-x' is not a valid DNS-1123 label; use at most 63 lower case letters, digits or \
                        '-', starting and ending with a letter or digit
                          storage class 'a..b' is not a valid storage class name (a DNS-1123 subdomain: lower case \
                        letters, digits, '-' and '.'); see kubectl get storageclass""");
    }

    @Test
    void haproxyIsAutoscaledLikeTidbAndMonitoringIsNot() {
        String yaml = """
                mariadb_servers: [ { host: 10.0.2.1 }, { host: 10.0.2.2 } ]
                haproxy_servers: [ { host: 10.0.2.4 } ]
                autoscale: { haproxy: { min_replicas: 2, max_replicas: 4, cpu_request: 500m } }
                """;
        Manifests manifests = render(yaml, RenderOptions.of("shop"));

        HorizontalPodAutoscaler autoscaler =
                (HorizontalPodAutoscaler) object(manifests, "HorizontalPodAutoscaler", "shop-haproxy");
        assertThat(autoscaler.getSpec().getScaleTargetRef().getName()).isEqualTo("shop-haproxy");
        assertThat(autoscaler.getSpec().getMinReplicas()).isEqualTo(2);
        Deployment haproxy = (Deployment) object(manifests, "Deployment", "shop-haproxy");
        assertThat(haproxy.getSpec().getReplicas()).isNull();
        assertThat(haproxy.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .getFirst()
                        .getResources()
                        .getRequests())
                .isEqualTo(Map.of("cpu", new Quantity("500m")));

        String monitored = TIDB + """
                grafana_servers: [ { host: 10.0.1.9 } ]
                autoscale: { grafana: { max_replicas: 4, cpu_request: "1" } }
                """;
        assertThat(problems(monitored, RenderOptions.of("basic")))
                .containsExactly(
                        "autoscale.grafana: grafana is not rendered for Kubernetes; autoscale tidb or haproxy");
    }

    @Test
    void anExistingSecretIsReferencedAndNotRendered() {
        Manifests manifests = render(TIDB, RenderOptions.of("basic").withExistingSecret("basic-passwords"));

        assertThat(manifests.objects()).noneMatch(object -> object instanceof Secret);
        assertThat(manifests.yaml())
                .contains("name: \"basic-passwords\"")
                .contains("# Passwords come from the existing Secret basic-passwords (keys root-password).");
    }

    @Test
    void nodePortsAreRenderedOnRequestAndPortsThatDifferAreNoted() {
        String yaml = """
                pd_servers: [ { host: 10.0.1.1 } ]
                tikv_servers: [ { host: 10.0.1.4 }, { host: 10.0.1.4, port: 20161, status_port: 20181 } ]
                tidb_servers: [ { host: 10.0.1.7 } ]
                """;
        Manifests manifests = render(yaml, RenderOptions.of("basic").withNodePorts(Set.of("tidb")));

        Service tidb = manifests.objects().stream()
                .filter(object -> object instanceof Service service
                        && service.getMetadata().getName().equals("basic-tidb"))
                .map(Service.class::cast)
                .findFirst()
                .orElseThrow();
        assertThat(tidb.getSpec().getType()).isEqualTo("NodePort");
        StatefulSet tikv = (StatefulSet) object(manifests, "StatefulSet", "basic-tikv");
        assertThat(tikv.getSpec().getReplicas()).isEqualTo(2);
        assertThat(manifests.header())
                .contains("The tikv instances declare different ports; every pod has its own address, so all use"
                        + " those of 10.0.1.4:20160.");
    }

    @Test
    void generatedPasswordsAreLongAndNotEmpty() {
        String password = ManifestRenderer.generatePassword(new SecureRandom());

        assertThat(password).hasSize(24).matches("[A-Za-z2-9]+");
        Secret secret = (Secret) ManifestRenderer.standard()
                .render(TopologyParser.parse(TIDB, "topology.yaml"), RenderOptions.of("basic"))
                .objects()
                .getFirst();
        assertThat(secret.getStringData().get("root-password")).hasSize(24);
    }

    @Test
    void systemdLimitsBecomeQuantities() {
        assertThat(Quantities.cpu("200%")).contains("2");
        assertThat(Quantities.cpu("150%")).contains("1500m");
        assertThat(Quantities.cpu("0%")).isEmpty();
        assertThat(Quantities.memory("32G")).contains("32Gi");
        assertThat(Quantities.memory("512M")).contains("512Mi");
        assertThat(Quantities.memory("1073741824")).contains("1073741824");
        assertThat(Quantities.memory("infinity")).isEmpty();
    }

    private static HasMetadata object(Manifests manifests, String kind, String name) {
        return manifests.objects().stream()
                .filter(object -> object.getKind().equals(kind)
                        && object.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow();
    }
}
