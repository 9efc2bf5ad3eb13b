package io.flotilla.topology;

import java.util.List;
import java.util.Optional;

/**
 * The folders of a host that belong to its system or to its packages, where no instance's
 * directory may be: Flotilla puts an instance only in a folder of its own, which it can later
 * remove whole.
 */
public final class SystemFolders {
    /** Neither the folder itself nor anything below it. */
    private static final List<String> SYSTEM_TREES = List.of(
            "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys",
            "/usr");

    /** The folder itself only: one of its own below it is fine (/srv/mariadb, /home/tidb/deploy). */
    private static final List<String> SHARED_ROOTS = List.of(
            "/",
            "/home",
            "/media",
            "/mnt",
            "/opt",
            "/root",
            "/srv",
            "/tmp",
            "/var",
            "/var/lib",
            "/var/log",
            "/var/tmp",
            "/var/cache",
            "/var/spool",
            "/lost+found",
            "/snap",
            "/var/backups",
            "/var/local",
            "/var/mail",
            "/var/opt");

    /** The data of the distribution's own packages of the engines Flotilla runs. */
    private static final List<String> PACKAGE_TREES = List.of(
            "/var/lib/mysql",
            "/var/lib/etcd",
            "/var/lib/haproxy",
            "/var/lib/prometheus",
            "/var/lib/dpkg",
            "/var/lib/apt",
            "/var/lib/systemd",
            "/var/log/mysql");

    private SystemFolders() {}

    /** Why no instance may use {@code dir} (absolute and clean), or empty when it may. */
    public static Optional<String> why(String dir) {
        for (String tree : SYSTEM_TREES) {
            if (within(dir, tree)) {
                String where = dir.equals(tree) ? "is" : "is inside";
                return Optional.of("'%s' %s the system's folder %s".formatted(dir, where, tree));
            }
        }
        if (SHARED_ROOTS.contains(dir)) {
            return Optional.of("'%s' is a folder the whole system shares".formatted(dir));
        }
        for (String tree : PACKAGE_TREES) {
            if (within(dir, tree)) {
                return Optional.of("'%s' holds the data of the system's own packages (%s)".formatted(dir, tree));
            }
        }
        return Optional.empty();
    }

    private static boolean within(String dir, String tree) {
        return dir.equals(tree) || dir.startsWith(tree + "/");
    }
}
