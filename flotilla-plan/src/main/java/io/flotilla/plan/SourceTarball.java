package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.exec.Executor;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.ComponentSource;
import io.flotilla.topology.Topology;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * A component's tarball, fetched to the control machine and checked: from a local path, a URL, or a
 * TiUP-style mirror. Fetching happens before any host is changed, so a wrong checksum stops a deploy
 * before anything is written; {@link #install} then unpacks it into an instance's {@code bin}.
 *
 * @param component the topology's component name ({@code etcd}, {@code pd})
 * @param origin where it came from, as the topology names it (path or URL)
 * @param file the tarball on this machine
 * @param binary the program's path inside the tarball
 */
public record SourceTarball(String component, String origin, Path file, String sha256, String binary) {
    private static final Duration FETCH_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration UNPACK_TIMEOUT = Duration.ofMinutes(5);

    public SourceTarball {
        requireNonNull(component, "component is null");
        requireNonNull(origin, "origin is null");
        requireNonNull(file, "file is null");
        requireNonNull(sha256, "sha256 is null");
        requireNonNull(binary, "binary is null");
    }

    /**
     * Fetches and checks the tarball of a component whose source is a tarball or a mirror.
     *
     * @param defaultBinary the program's name when the topology does not give {@code binary}
     * @param arch the hosts' architecture as TiUP names it ({@code amd64}, {@code arm64})
     * @param cache where downloads are kept, by checksum
     */
    public static SourceTarball fetch(
            Topology topology, String component, String defaultBinary, String arch, Path cache) {
        return switch (topology.componentSource(component)) {
            case ComponentSource.System ignored ->
                throw new IllegalArgumentException(component + " comes from a system package, not a tarball");
            case ComponentSource.Tarball tarball ->
                checked(
                        component,
                        tarball.location(),
                        local(tarball.location(), cache, "component_sources.%s.tarball".formatted(component)),
                        tarball.sha256(),
                        tarball.binary().isEmpty() ? defaultBinary : tarball.binary(),
                        "component_sources.%s.sha256".formatted(component));
            case ComponentSource.Mirror mirror -> {
                String version = topology.componentVersions().get(component);
                if (version == null) {
                    throw new OperationException(
                            ErrorCode.SOURCE,
                            "%s comes from the mirror %s, which keeps one tarball per version: set component_versions.%s in %s"
                                    .formatted(component, topology.global().mirror(), component, topology.source()));
                }
                String location = mirrorLocation(topology.global().mirror(), mirror.name(), version, arch);
                yield checked(
                        component,
                        location,
                        local(location, cache, "the mirror's " + mirror.name()),
                        mirror.sha256(),
                        defaultBinary,
                        "component_sources.%s.sha256".formatted(component));
            }
        };
    }

    /** TiUP's layout: {@code <mirror>/<component>-<version>-linux-<arch>.tar.gz}. */
    public static String mirrorLocation(String mirror, String name, String version, String arch) {
        String base = mirror.endsWith("/") ? mirror.substring(0, mirror.length() - 1) : mirror;
        return "%s/%s-%s-linux-%s.tar.gz".formatted(base, name, version, arch);
    }

    private static SourceTarball checked(
            String component, String origin, Path file, String expected, String binary, String setting) {
        String actual;
        try {
            actual = RuntimeImage.sha256(file);
        } catch (IOException e) {
            throw new OperationException(
                    ErrorCode.SOURCE, "cannot read %s of %s: %s".formatted(file, component, e.getMessage()), e);
        }
        if (!expected.isEmpty() && !expected.equals(actual)) {
            throw new OperationException(
                    ErrorCode.SOURCE_CHECKSUM,
                    "%s of %s has sha256 %s, but %s expects %s; nothing was deployed: check the file, or correct the sha256 if the file is the one you meant"
                            .formatted(origin, component, actual, setting, expected));
        }
        return new SourceTarball(component, origin, file, actual, binary);
    }

    /** A local path as it is; a URL downloaded once into the cache (a temporary file, then renamed). */
    private static Path local(String location, Path cache, String what) {
        if (location.startsWith("/")) {
            Path file = Path.of(location);
            if (!Files.isRegularFile(file)) {
                throw new OperationException(
                        ErrorCode.SOURCE,
                        "%s %s does not exist on this machine; correct the path".formatted(what, location));
            }
            return file;
        }
        Path dir = cache.resolve("sources");
        Path file = dir.resolve(location.replaceAll("^https?://", "").replaceAll("[^A-Za-z0-9._-]", "_"));
        if (Files.isRegularFile(file)) {
            return file;
        }
        try (HttpClient client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(10))
                .build()) {
            Files.createDirectories(dir);
            Path temporary = Files.createTempFile(dir, "download", ".tmp");
            try {
                HttpResponse<InputStream> response = client.send(
                        HttpRequest.newBuilder(URI.create(location))
                                .timeout(FETCH_TIMEOUT)
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream body = response.body()) {
                    if (response.statusCode() != 200) {
                        throw new OperationException(
                                ErrorCode.SOURCE,
                                "%s %s answered HTTP %d; check the URL (or global.mirror and component_versions)"
                                        .formatted(what, location, response.statusCode()));
                    }
                    Files.copy(body, temporary, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return file;
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new OperationException(
                    ErrorCode.SOURCE, "cannot download %s %s: %s".formatted(what, location, e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationException(ErrorCode.INTERRUPTED, "interrupted while downloading " + location, e);
        }
    }

    /**
     * Unpacks the tarball into {@code bin} on a host, beside the old one before it replaces it; nothing
     * at all when {@code bin} already holds this tarball. Fails, leaving the old {@code bin}, when the
     * program is not where the topology says it is.
     */
    public void install(Executor executor, String bin) {
        String marker = bin + "/.source-sha256";
        if (executor.exists(marker)
                && executor.run(List.of("cat", marker), UNPACK_TIMEOUT)
                        .stdout()
                        .strip()
                        .equals(sha256)) {
            return;
        }
        String tarball = bin + ".tar.gz";
        String unpacked = bin + ".new";
        executor.copy(file, tarball, "0644");
        executor.remove(unpacked);
        executor.mkdirs(unpacked, "0755");
        executor.check(List.of("tar", "-xzf", tarball, "-C", unpacked), UNPACK_TIMEOUT);
        executor.remove(tarball);
        if (!executor.run(List.of("test", "-x", unpacked + "/" + binary), UNPACK_TIMEOUT)
                .succeeded()) {
            executor.remove(unpacked);
            throw new OperationException(
                    ErrorCode.SOURCE,
                    "%s has no executable %s inside; name the program's path in it with component_sources.%s.binary"
                            .formatted(origin, binary, component));
        }
        executor.put(unpacked + "/.source-sha256", (sha256 + "\n").getBytes(StandardCharsets.UTF_8), "0644");
        executor.remove(bin);
        executor.check(List.of("mv", unpacked, bin), UNPACK_TIMEOUT);
    }
}
