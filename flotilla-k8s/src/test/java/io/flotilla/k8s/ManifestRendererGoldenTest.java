package io.flotilla.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.flotilla.catalog.Catalog;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The two layouts the issue names, pinned as golden files; passwords are fixed so the files are stable. */
class ManifestRendererGoldenTest {
    static ManifestRenderer renderer() {
        AtomicInteger count = new AtomicInteger();
        return new ManifestRenderer(Catalog.standard(), () -> "test-password-" + count.incrementAndGet());
    }

    static Topology topology(String resource) throws IOException {
        try (InputStream in = ManifestRendererGoldenTest.class.getResourceAsStream("/" + resource)) {
            return TopologyParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource);
        }
    }

    static Manifests tidb() throws IOException {
        return renderer()
                .render(
                        topology("tidb-on-kubernetes.yaml"),
                        RenderOptions.of("basic").withNamespace("tidb").withStorageClass("fast-ssd"));
    }

    static Manifests mariadb() throws IOException {
        return renderer()
                .render(
                        topology("mariadb-on-kubernetes.yaml"),
                        RenderOptions.of("shop")
                                .withNamespace("databases")
                                .withImageRegistry("registry.example.com:5000"));
    }

    @Test
    void tidbOnKubernetes() throws IOException {
        GoldenFile.assertMatches("tidb.yaml", tidb().yaml());
    }

    @Test
    void mariadbOnKubernetes() throws IOException {
        GoldenFile.assertMatches("mariadb.yaml", mariadb().yaml());
    }

    /** Each document reads back as the typed object of its kind, and writes out again unchanged. */
    @Test
    void everyDocumentIsValidKubernetesYaml() throws IOException {
        KubernetesSerialization serialization = new KubernetesSerialization();
        for (Manifests manifests : List.of(tidb(), mariadb())) {
            List<String> documents =
                    Arrays.stream(manifests.yaml().split("(?m)^---\\n")).skip(1).toList();
            assertThat(documents).hasSameSizeAs(manifests.objects());
            for (int i = 0; i < documents.size(); i++) {
                HasMetadata parsed = serialization.unmarshal(documents.get(i));
                assertThat(parsed).isInstanceOf(manifests.objects().get(i).getClass());
                assertThat(serialization.asYaml(parsed)).isEqualTo("---\n" + documents.get(i));
            }
        }
    }
}
