package io.flotilla.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.topology.Problem;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyException;
import io.flotilla.topology.TopologyParser;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Component sources: the topology's syntax and its errors, and a TiUP-style mirror (a local folder,
 * then the same folder served over HTTP on loopback) resolved, fetched, checked and unpacked. The
 * tarball holds a small stand-in for pd-server, because the TiDB family does not run here: it is
 * unpacked, never run.
 */
class SourceTarballTest {
    private static final int HTTP_PORT = 16110;

    @TempDir
    static Path root;

    private static Path mirror;
    private static String sha256;

    @BeforeAll
    static void layOutMirror() throws Exception {
        Path content = root.resolve("content");
        Files.createDirectories(content);
        Path program = content.resolve("pd-server");
        Files.writeString(program, "#!/bin/sh\necho 'pd-server stand-in'\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        mirror = root.resolve("mirror");
        Files.createDirectories(mirror);
        Path tarball = mirror.resolve("pd-v7.5.1-linux-amd64.tar.gz");
        Process tar = new ProcessBuilder("tar", "-czf", tarball.toString(), "-C", content.toString(), "pd-server")
                .inheritIO()
                .start();
        assertThat(tar.waitFor()).isZero();
        sha256 = RuntimeImage.sha256(tarball);
    }

    private static Topology topology(String mirrorLocation, String source) {
        return TopologyParser.parse("""
                global:
                  mirror: %s
                component_versions:
                  pd: v7.5.1
                component_sources:
                  pd: %s
                pd_servers:
                  - host: 127.0.0.1
                """.formatted(mirrorLocation, source), "mirror.yaml");
    }

    @Test
    void aMirrorInALocalFolderIsResolvedCheckedAndUnpacked() throws Exception {
        SourceTarball tarball = SourceTarball.fetch(
                topology(mirror.toString(), "mirror"), "pd", "pd-server", "amd64", root.resolve("cache"));
        assertThat(tarball.origin()).isEqualTo(mirror + "/pd-v7.5.1-linux-amd64.tar.gz");
        assertThat(tarball.sha256()).isEqualTo(sha256);

        Path bin = root.resolve("deploy/pd-2379/bin");
        try (LocalExecutor executor = new LocalExecutor("127.0.0.1")) {
            tarball.install(executor, bin.toString());
            assertThat(bin.resolve("pd-server")).isExecutable();
            assertThat(Files.readString(bin.resolve(".source-sha256")).strip()).isEqualTo(sha256);
            // The same tarball again changes nothing: the file unpacked before stays as it is.
            long modified = Files.getLastModifiedTime(bin.resolve("pd-server")).toMillis();
            tarball.install(executor, bin.toString());
            assertThat(Files.getLastModifiedTime(bin.resolve("pd-server")).toMillis())
                    .isEqualTo(modified);
        }
        assertThat(root.resolve("deploy/pd-2379/bin.tar.gz")).doesNotExist();
    }

    @Test
    void aMirrorServedOverHttpIsDownloadedOnceIntoTheCache() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", HTTP_PORT), 0);
        List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestURI().getPath());
            Path file = mirror.resolve(exchange.getRequestURI().getPath().substring(1));
            if (Files.isRegularFile(file)) {
                byte[] body = Files.readAllBytes(file);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } else {
                exchange.sendResponseHeaders(404, -1);
            }
            exchange.close();
        });
        server.start();
        try {
            Path cache = root.resolve("http-cache");
            String url = "http://127.0.0.1:%d/".formatted(HTTP_PORT);
            SourceTarball first = SourceTarball.fetch(
                    topology(url, "{ mirror: pd, sha256: %s }".formatted(sha256)), "pd", "pd-server", "amd64", cache);
            SourceTarball second = SourceTarball.fetch(
                    topology(url, "{ mirror: pd, sha256: %s }".formatted(sha256)), "pd", "pd-server", "amd64", cache);
            assertThat(first.file()).startsWith(cache.resolve("sources")).isEqualTo(second.file());
            assertThat(first.sha256()).isEqualTo(sha256);
            assertThat(requests).containsExactly("/pd-v7.5.1-linux-amd64.tar.gz");

            assertThatThrownBy(() -> SourceTarball.fetch(
                            TopologyParser.parse("""
                                    global: { mirror: "%s" }
                                    component_sources: { pd: mirror }
                                    pd_servers: [ { host: 127.0.0.1 } ]
                                    """.formatted(url), "mirror.yaml"), "pd", "pd-server", "amd64", cache))
                    .hasMessage(
                            "pd comes from the mirror %s, which keeps one tarball per version: set component_versions.pd in mirror.yaml",
                            url);
            assertThatThrownBy(() -> SourceTarball.fetch(
                            topology(url, "pd-nightly"), "pd", "pd-server", "amd64", root.resolve("other-cache")))
                    .hasMessage(
                            "the mirror's pd-nightly %spd-nightly-v7.5.1-linux-amd64.tar.gz answered HTTP 404; check the URL (or global.mirror and component_versions)",
                            url);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aWrongChecksumNamesTheFileTheExpectedAndTheActualSum() {
        String wrong = "0".repeat(64);
        assertThatThrownBy(() -> SourceTarball.fetch(
                        topology(mirror.toString(), "{ mirror: pd, sha256: %s }".formatted(wrong)),
                        "pd",
                        "pd-server",
                        "amd64",
                        root.resolve("cache")))
                .hasMessage(
                        "%s/pd-v7.5.1-linux-amd64.tar.gz of pd has sha256 %s, but component_sources.pd.sha256 expects %s; nothing was deployed: check the file, or correct the sha256 if the file is the one you meant",
                        mirror, sha256, wrong);
    }

    @Test
    void badSourcesAreReportedWithTheirPositions() {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> TopologyParser.parse("""
                global:
                  mirror: mirrors/tiup
                component_sources:
                  etcd: { tarball: etcd.tar.gz }
                  mariadb: { tarball: /srv/m.tar.gz, sha256: abc, package: mariadb-server }
                  haproxy: { tarball: /srv/h.tar.gz, sha256: %s, binary: ../haproxy, checksum: x }
                etcd_servers:
                  - host: 127.0.0.1
                """.formatted("a".repeat(64)), "sources.yaml"));
        assertThat(thrown).isInstanceOf(TopologyException.class);
        assertThat(((TopologyException) thrown).problems())
                .extracting(Problem::toString)
                .containsExactly(
                        "sources.yaml:2:11: global.mirror 'mirrors/tiup' must be an absolute path on this machine or an http(s) URL",
                        "sources.yaml:4:11: component_sources.etcd.tarball needs its sha256 beside it (sha256sum FILE prints it), so that a changed or damaged file is refused",
                        "sources.yaml:4:20: component_sources.etcd.tarball 'etcd.tar.gz' must be an absolute path on this machine or an http(s) URL",
                        "sources.yaml:5:12: component_sources.mariadb needs exactly one of package, tarball or mirror, got package and tarball",
                        "sources.yaml:5:46: component_sources.mariadb.sha256 'abc' is not a sha256: expected 64 hexadecimal digits",
                        "sources.yaml:6:120: component_sources.haproxy.binary '../haproxy' must be a path inside the tarball, such as bin/etcd",
                        "sources.yaml:6:132: unknown key 'checksum' in component_sources.haproxy; expected one of: binary, mirror, package, sha256, tarball");
    }
}
