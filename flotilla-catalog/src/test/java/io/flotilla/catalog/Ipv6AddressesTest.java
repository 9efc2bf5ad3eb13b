package io.flotilla.catalog;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster on IPv6 hosts: every URL, {@code host:port} and Prometheus target the catalog writes
 * holds the address in brackets, which URL parsers and the engines' {@code host:port} parsers need
 * (an unbracketed {@code fd00::1:9100} has no port they can find). Checked with {@link URI} and the
 * engines' own tools.
 */
class Ipv6AddressesTest {
    private static final Pattern QUOTED = Pattern.compile("'([^']*)'");
    private static final Pattern LISTENING = Pattern.compile("msg=\"Listening on\" address=127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path root;

    private Topology topology() {
        return TopologyParser.parse("""
                global:
                  user: root
                  deploy_dir: %s/deploy
                  data_dir: %s/data
                mariadb_servers:
                  - { host: fd00::1, role: primary }
                  - { host: fd00::2, role: replica }
                etcd_servers:
                  - { host: fd00::1, name: e1 }
                  - { host: fd00::2, name: e2 }
                  - { host: fd00::3, name: e3 }
                haproxy_servers: [ { host: fd00::1 } ]
                monitoring_servers: [ { host: fd00::2 } ]
                alertmanager_servers: [ { host: fd00::1 }, { host: fd00::2 } ]
                """.formatted(root, root), "t.yaml");
    }

    private InstanceContext context(Topology topology, Instance instance) {
        return new InstanceContext(
                "c1",
                topology,
                instance,
                root.resolve("agent"),
                "root",
                Map.of("fd00::1", 9761, "fd00::2", 9761, "fd00::3", 9761));
    }

    @Test
    void probesFetchUrlsWithTheHostInBrackets() {
        Topology topology = topology();
        List<String> urls = new ArrayList<>();
        for (Instance instance : topology.instances()) {
            collectUrls(Catalog.standard().kind(instance).readiness(context(topology, instance)), urls);
        }
        assertThat(urls)
                .contains(
                        "http://[fd00::1]:9100/metrics",
                        "http://[fd00::2]:9115/metrics",
                        "http://[fd00::2]:9090/-/ready",
                        "http://[fd00::1]:9093/-/ready",
                        "http://127.0.0.1:2379/health");
        urls.forEach(url -> assertUrl(url, "readiness probe"));
    }

    private static void collectUrls(Probe probe, List<String> urls) {
        if (probe instanceof Probe.AllOf all) {
            all.probes().forEach(each -> collectUrls(each, urls));
        } else if (probe instanceof Probe.HttpOk http) {
            urls.add(http.url());
        }
    }

    @Test
    void commandLinesNameEveryAddressInBrackets() {
        Topology topology = topology();
        List<String> addresses = new ArrayList<>();
        for (Instance instance : topology.instances()) {
            for (String argument : Catalog.standard().kind(instance).commandLine(context(topology, instance))) {
                String value = argument.substring(argument.indexOf('=') + 1);
                for (String piece : value.split(",")) {
                    int url = piece.indexOf("http://");
                    String address = url >= 0 ? piece.substring(url) : piece;
                    if (address.contains("fd00:")) {
                        addresses.add(address);
                    }
                }
            }
        }
        assertThat(addresses)
                .contains(
                        "[fd00::1]:9100",
                        "[fd00::2]:9090",
                        "http://[fd00::2]:9090",
                        "[fd00::2]:9094",
                        "http://[fd00::2]:2380",
                        "http://[fd00::1]:2379");
        addresses.forEach(address -> {
            if (address.startsWith("http://")) {
                assertUrl(address, "command line");
            } else {
                assertHostPort(address, "command line");
            }
        });
    }

    @Test
    void prometheusScrapesBracketedTargetsAndPromtoolAcceptsThem() throws Exception {
        Topology topology = topology();
        Path file = prometheusConfig(topology);
        String yaml = Files.readString(file);
        assertThat(yaml)
                .contains("targets: ['[fd00::1]:9100']")
                .contains("targets: ['[fd00::3]:9100']")
                .contains("targets: ['[fd00::1]:8404']")
                .contains("- '[fd00::2]:9093'");
        Matcher quoted = QUOTED.matcher(yaml);
        int addresses = 0;
        while (quoted.find()) {
            if (quoted.group(1).contains("fd00:")) {
                assertHostPort(quoted.group(1), "prometheus.yml");
                addresses++;
            }
        }
        assertThat(addresses).isGreaterThan(10);
        assertThat(RenderedFilesTest.run("promtool", "check", "config", file.toString()))
                .contains("SUCCESS");
    }

    /**
     * Scale-out reloads Prometheus and waits for its status page to list the new targets; a real
     * Prometheus, on loopback, shows the markers the catalog looks for.
     */
    @Test
    void prometheusShowsTheMarkersReloadWaitsFor() throws Exception {
        Topology topology = topology();
        Path file = prometheusConfig(topology);
        Path log = root.resolve("prometheus.log");
        Process prometheus = new ProcessBuilder(
                        "prometheus",
                        "--config.file=" + file,
                        "--web.listen-address=127.0.0.1:0",
                        "--storage.tsdb.path=" + root.resolve("tsdb"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try (HttpClient client = HttpClient.newHttpClient()) {
            List<String> port = new ArrayList<>();
            assertEventually(Duration.ofSeconds(30), () -> {
                Matcher listening = LISTENING.matcher(Files.readString(log));
                assertThat(listening.find()).as(Files.readString(log)).isTrue();
                port.add(listening.group(1));
            });
            Reload reload = new PrometheusKind().reload().orElseThrow();
            List<String> markers = new ArrayList<>();
            for (Instance instance : topology.instances()) {
                markers.addAll(reload.markers(instance));
            }
            assertThat(markers).contains("- '[fd00::3]:9100'\\n");
            HttpRequest page = HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:%s%s".formatted(port.getFirst(), reload.path())))
                    .build();
            assertEventually(
                    Duration.ofSeconds(30),
                    () -> assertThat(client.send(page, HttpResponse.BodyHandlers.ofString())
                                    .body())
                            .contains(markers));
        } finally {
            prometheus.destroy();
            assertThat(prometheus.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void haproxyBindsAndReachesBracketedAddressesAndAcceptsItsConfig() throws Exception {
        Topology topology = topology();
        Instance haproxy = topology.instances("haproxy").getFirst();
        String cfg = Catalog.standard()
                .kind(haproxy)
                .configFiles(context(topology, haproxy))
                .get("conf/haproxy.cfg");
        assertThat(cfg)
                .contains("    bind [::]:4000\n")
                .contains("    server fd00__1_3306 [fd00::1]:3306 check\n")
                .contains(
                        "    server fd00__2_3306 [fd00::2]:3306 check agent-check agent-addr fd00::2 agent-port 9761");
        for (String line : cfg.lines().map(String::strip).toList()) {
            String[] words = line.split(" ");
            if (words[0].equals("bind")) {
                assertHostPort(words[1], line);
            } else if (words[0].equals("server")) {
                assertHostPort(words[2], line);
            }
        }
        Path file = root.resolve("haproxy.cfg");
        Files.writeString(file, cfg);
        Files.createDirectories(
                Path.of(HaproxyKind.adminSocket(context(topology, haproxy))).getParent());
        assertThat(RenderedFilesTest.run("haproxy", "-c", "-f", file.toString()))
                .contains("Configuration file is valid");
    }

    @Test
    void endpointsAndReloadPagesAreBracketed() {
        Topology topology = topology();
        List<String> endpoints = new ArrayList<>();
        for (ComponentKind kind : Set.copyOf(
                topology.instances().stream().map(Catalog.standard()::kind).toList())) {
            kind.endpoints(topology).values().forEach(value -> endpoints.addAll(List.of(value.split(","))));
            kind.reload()
                    .ifPresent(reload -> topology.instances(kind.name())
                            .forEach(instance -> assertUrl(reload.loadedUrl(instance), "reload page")));
        }
        assertThat(endpoints).contains("[fd00::1]:4000", "[fd00::1]:4001", "[fd00::2]:9090");
        endpoints.forEach(endpoint -> assertHostPort(endpoint, "endpoint"));
    }

    private Path prometheusConfig(Topology topology) throws Exception {
        Instance prometheus = topology.instances("prometheus").getFirst();
        Path file = root.resolve("prometheus.yml");
        Files.writeString(
                file,
                Catalog.standard()
                        .kind(prometheus)
                        .configFiles(context(topology, prometheus))
                        .get("conf/prometheus.yml"));
        return file;
    }

    /** An http URL whose host is a bracketed IPv6 address (or loopback) with a port. */
    private static void assertUrl(String url, String where) {
        URI uri = URI.create(url);
        assertThat(uri.getScheme()).as("%s %s", where, url).isEqualTo("http");
        assertHost(uri, url, where);
    }

    /** {@code host:port} as URL authorities and Go's net.SplitHostPort read it. */
    private static void assertHostPort(String address, String where) {
        assertHost(URI.create("//" + address), address, where);
    }

    private static void assertHost(URI uri, String text, String where) {
        assertThat(uri.getHost()).as("host of %s in %s", text, where).isNotNull();
        assertThat(uri.getHost()).as("host of %s in %s", text, where).matches("\\[[0-9a-f:]+]|127\\.0\\.0\\.1");
        assertThat(uri.getPort()).as("port of %s in %s", text, where).isBetween(1, 65535);
    }
}
