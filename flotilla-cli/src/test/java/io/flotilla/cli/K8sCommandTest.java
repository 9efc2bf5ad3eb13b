package io.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `flotilla k8s render`, parsed by picocli as a user types it. */
class K8sCommandTest {
    @TempDir
    Path dir;

    @Test
    void rendersYamlOnStandardOutput() throws Exception {
        Path file = dir.resolve("tidb.yaml");
        Files.writeString(file, """
                pd_servers: [ { host: 10.0.1.1 }, { host: 10.0.1.2 }, { host: 10.0.1.3 } ]
                tikv_servers: [ { host: 10.0.1.4 }, { host: 10.0.1.5 }, { host: 10.0.1.6 } ]
                tidb_servers: [ { host: 10.0.1.7 }, { host: 10.0.1.8 } ]
                autoscale: { tidb: { min_replicas: 2, max_replicas: 10, cpu_request: "2" } }
                """);

        Cli.Result result = new Cli(dir.resolve("home"))
                .run(
                        "k8s",
                        "render",
                        file.toString(),
                        "--name",
                        "basic",
                        "--namespace",
                        "tidb",
                        "--storage-class",
                        "fast-ssd",
                        "--image-registry",
                        "registry.example.com:5000",
                        "--node-port",
                        "tidb",
                        "--storage-size",
                        "tikv=500Gi");

        assertThat(result.err()).isEmpty();
        assertThat(result.exitCode()).isZero();
        assertThat(result.out())
                .startsWith("# Rendered by Flotilla from %s: cluster basic in namespace tidb.\n".formatted(file))
                .contains("kind: \"StatefulSet\"")
                .contains("--initial-cluster=basic-pd-0=http://basic-pd-0.basic-pd-peer.tidb.svc:2380,")
                .contains("storageClassName: \"fast-ssd\"")
                .contains("storage: \"500Gi\"")
                .contains("image: \"registry.example.com:5000/pingcap/tidb:v8.5.0\"")
                .contains("type: \"NodePort\"")
                .contains("kind: \"HorizontalPodAutoscaler\"")
                .contains("name: \"basic-init-root\"");
    }

    @Test
    void problemsGoToStandardErrorAndNothingIsPrinted() throws Exception {
        Path file = dir.resolve("tidb.yaml");
        Files.writeString(file, """
                pd_servers: [ { host: 10.0.1.1 } ]
                tikv_servers: [ { host: 10.0.1.4 } ]
                tidb_servers: [ { host: 10.0.1.7 } ]
                autoscale: { tidb: { max_replicas: 4 } }
                """);

        Cli.Result result =
                new Cli(dir.resolve("home")).run("k8s", "render", file.toString(), "--storage-class", "Fast_SSD");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("""
                        Error: the topology cannot be rendered for Kubernetes: 2 problems
                          storage class 'Fast_SSD' is not a valid storage class name (a DNS-1123 subdomain: lower \
                        case letters, digits, '-' and '.'); see kubectl get storageclass
                          autoscale.tidb has no cpu_request; a HorizontalPodAutoscaler measures CPU utilization \
                        against the pods' CPU request, so set one, such as cpu_request: "2"
                        """);
    }

    @Test
    void aMissingFileIsAnError() {
        Path file = dir.resolve("missing.yaml");

        Cli.Result result = new Cli(dir.resolve("home")).run("k8s", "render", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err())
                .isEqualTo("Error: the topology has 1 problem:\n%s:1:1: the file does not exist\nNothing was changed.\n"
                        .formatted(file));
    }
}
