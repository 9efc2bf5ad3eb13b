package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Map;

/**
 * Where a component's binaries come from, from {@code component_sources}: the host's installed
 * package (the default), a tarball (a local path or a URL, checked against its sha256), or a
 * TiUP-style mirror ({@code <mirror>/<name>-<version>-linux-<arch>.tar.gz}).
 */
public sealed interface ComponentSource {
    /** {@code etcd: system}, or {@code mariadb: { package: mariadb-server }} to name the Debian package. */
    record System(String debianPackage) implements ComponentSource {
        public System {
            requireNonNull(debianPackage, "debianPackage is null");
        }
    }

    /**
     * {@code etcd: { tarball: /srv/etcd.tar.gz, sha256: <64 hex>, binary: etcd }}.
     *
     * @param binary the program's path inside the tarball; empty for the component's binary name at its top
     */
    record Tarball(String location, String sha256, String binary) implements ComponentSource {
        public Tarball {
            requireNonNull(location, "location is null");
            requireNonNull(sha256, "sha256 is null");
            requireNonNull(binary, "binary is null");
        }
    }

    /**
     * TiUP's form {@code tidb: tidb-nightly} (the component's name in the mirror), or {@code pd: mirror},
     * or {@code pd: { mirror: pd, sha256: <64 hex> }}.
     *
     * @param sha256 empty when not given: the tarball is then taken as the mirror serves it
     */
    record Mirror(String name, String sha256) implements ComponentSource {
        public Mirror {
            requireNonNull(name, "name is null");
            requireNonNull(sha256, "sha256 is null");
        }
    }

    /** TiUP's public mirror, the default of {@code global.mirror} as in TiUP. */
    String DEFAULT_MIRROR = "https://tiup-mirrors.pingcap.com";

    /** The source of an entry the reader has already validated. */
    static ComponentSource of(String component, Object raw) {
        if (raw instanceof String text) {
            return switch (text) {
                case "system" -> new System("");
                case "mirror" -> new Mirror(component, "");
                default -> new Mirror(text, "");
            };
        }
        Map<?, ?> map = (Map<?, ?>) raw;
        String sha256 = String.valueOf(map.containsKey("sha256") ? map.get("sha256") : "")
                .toLowerCase(Locale.ROOT);
        if (map.containsKey("tarball")) {
            return new Tarball(
                    String.valueOf(map.get("tarball")),
                    sha256,
                    map.containsKey("binary") ? String.valueOf(map.get("binary")) : "");
        }
        if (map.containsKey("mirror")) {
            return new Mirror(String.valueOf(map.get("mirror")), sha256);
        }
        return new System(String.valueOf(map.get("package")));
    }
}
