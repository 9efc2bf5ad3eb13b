package io.flotilla.testing;

import static io.flotilla.testing.TestHosts.createDirectories;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a test host needs to run systemd as the PID 1 of its own PID namespace, shut off from this
 * machine. systemd boots real hosts, so it would clean {@code /tmp}, write {@code /proc/sys}, set the
 * hostname and start every enabled service; here it must see and touch only its host. So:
 *
 * <ul>
 *   <li>its own PID, mount, UTS, IPC, network and cgroup namespaces, and a cgroup of its own under
 *       {@code flotilla-testhosts/<host>} of the machine's cgroup2 hierarchy (which systemd mounts as its
 *       whole {@code /sys/fs/cgroup}, so it runs in unified mode and never touches the v1 hierarchies);
 *   <li>every mount of this machine read-only, {@code /proc/sys} and {@code /sys} included; writable
 *       are only the host's own {@code /etc}, {@code /home}, {@code /srv}, {@code /var/lib/systemd}, its
 *       folder, and fresh tmpfs on {@code /run}, {@code /tmp}, {@code /var/tmp} and {@code /dev/shm};
 *   <li>{@code /dev/console} is a file in the host's folder, not this machine's console;
 *   <li>units only from an allow-list ({@code SYSTEMD_UNIT_PATH} names the host's {@code units} folder,
 *       nothing else, and no generator runs): the journal, D-Bus, logind (for lingering users and
 *       their {@code systemd --user}), polkit, and the host's sshd. Without the allow-list, the default
 *       dependencies of any service pull in {@code sysinit.target}, whose {@code systemd-tmpfiles-setup}
 *       empties {@code /tmp}: that happened once on a shared {@code /tmp}, and is why all of this is here.
 * </ul>
 */
final class SystemdHost {
    /** Where the test hosts' cgroups go, under the cgroup2 hierarchy. */
    static final String CGROUP_PARENT = "flotilla-testhosts";

    static final String TARGET = "flotilla-testhost.target";

    private static final Path SYSTEM_UNITS = Path.of("/usr/lib/systemd/system");

    /** The units a host may start, linked from Debian's; anything else they name is "not found". */
    private static final List<String> ALLOWED_UNITS = List.of(
            "sysinit.target",
            "basic.target",
            "sockets.target",
            "timers.target",
            "paths.target",
            "slices.target",
            "local-fs.target",
            "local-fs-pre.target",
            "swap.target",
            "shutdown.target",
            "umount.target",
            "final.target",
            "network.target",
            "network-pre.target",
            "nss-user-lookup.target",
            "system.slice",
            "user.slice",
            "user-.slice",
            "user-.slice.d",
            "user@.service",
            "user@.service.d",
            "user-runtime-dir@.service",
            "dbus.socket",
            "dbus.service",
            "systemd-logind.service",
            "dbus-org.freedesktop.login1.service",
            "polkit.service",
            "systemd-journald.service",
            "systemd-journald.socket",
            "systemd-journald-dev-log.socket");

    private static final Pattern HOST_NAME = Pattern.compile("[a-z]{1,8}\\d+");

    /** How long a killed host's cgroup may stay busy before removing it fails. */
    private static final Duration CGROUP_REMOVE_TIMEOUT = Duration.ofSeconds(5);

    private static final Duration CGROUP_REMOVE_POLL_INTERVAL = Duration.ofMillis(20);

    private SystemdHost() {}

    /** Refuses, saying what is missing, a machine where a systemd host cannot run. */
    static void requireSupported() {
        if (!Files.isExecutable(Path.of("/usr/lib/systemd/systemd"))) {
            throw new TestHostsException(
                    "systemd test hosts need systemd installed on this machine (not running): /usr/lib/systemd/systemd is missing; install the Debian packages systemd, dbus, libpam-systemd and polkitd");
        }
        for (String unit : List.of("dbus.service", "systemd-logind.service", "polkit.service")) {
            if (!Files.exists(SYSTEM_UNITS.resolve(unit))) {
                throw new TestHostsException(
                        "systemd test hosts need %s, which is missing from %s; install the Debian packages systemd, dbus, libpam-systemd and polkitd"
                                .formatted(unit, SYSTEM_UNITS));
            }
        }
        cgroupRoot();
    }

    /**
     * The machine's cgroup2 hierarchy: {@code /sys/fs/cgroup} itself on a unified machine, {@code
     * /sys/fs/cgroup/unified} on a hybrid one.
     */
    static Path cgroupRoot() {
        for (Path candidate : List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/unified"))) {
            if (Files.exists(candidate.resolve("cgroup.controllers"))) {
                return candidate;
            }
        }
        throw new TestHostsException(
                "systemd test hosts need a cgroup2 hierarchy, at /sys/fs/cgroup or /sys/fs/cgroup/unified; this machine has neither");
    }

    static Path cgroup(String host) {
        return cgroupRoot().resolve(CGROUP_PARENT).resolve(host);
    }

    /** Writes the host's unit allow-list, its sshd unit, its settings in its /etc and its boot scripts. */
    static void prepare(String name, Path dir, Path sshdConfig) {
        Path units = dir.resolve("units");
        createDirectories(units, dir.resolve("empty"), dir.resolve("var-lib-systemd"));
        for (String unit : ALLOWED_UNITS) {
            Path source = SYSTEM_UNITS.resolve(unit);
            if (Files.exists(source)) {
                try {
                    Files.createSymbolicLink(units.resolve(unit), source);
                } catch (IOException e) {
                    throw new TestHostsException("cannot link %s: %s".formatted(source, e.getMessage()), e);
                }
            }
        }
        write(units.resolve(TARGET), """
                [Unit]
                Description=Flotilla test host
                Wants=flotilla-testhost-sshd.service systemd-journald.socket dbus.socket systemd-logind.service
                """);
        write(units.resolve("flotilla-testhost-sshd.service"), """
                [Unit]
                Description=sshd of the test host
                [Service]
                ExecStart=/usr/sbin/sshd -D -f %s -E %s
                RuntimeDirectory=sshd
                RuntimeDirectoryPreserve=yes
                KillMode=process
                """.formatted(sshdConfig, dir.resolve("sshd.log")));
        Path etc = dir.resolve("etc");
        // The journal stays in the host's /run; a user's IPC objects are none of logind's business here.
        write(etc.resolve("systemd/journald.conf.d/flotilla-testhost.conf"), "[Journal]\nStorage=volatile\n");
        write(etc.resolve("systemd/logind.conf.d/flotilla-testhost.conf"), "[Login]\nRemoveIPC=no\n");
        write(dir.resolve("console"), "");
        write(dir.resolve("boot.sh"), bootScript(dir));
        write(dir.resolve("start.sh"), """
                echo $$ > %s/cgroup.procs
                exec ip netns exec %s unshare --mount --uts --ipc --pid --fork --cgroup --propagation private --mount-proc sh %s
                """.formatted(cgroup(name), name, dir.resolve("boot.sh")));
    }

    /**
     * Runs in the host's new namespaces, then becomes its systemd. Every mount of this machine turns
     * read-only first, so that a unit that escaped the allow-list still cannot change this machine.
     */
    private static String bootScript(Path dir) {
        return """
                set -eu
                umount -R /run/netns 2>/dev/null || true
                for target in $(findmnt -rn -o TARGET); do
                  case "$target" in /proc|/proc/*|/sys|/sys/*) continue ;; esac
                  mount -o remount,bind,ro "$target" || { echo "cannot make $target read-only" >&2; exit 1; }
                done
                mount -o remount,bind,ro /sys
                mount --bind /proc/sys /proc/sys
                mount -o remount,bind,ro /proc/sys
                mount --bind %1$s/console /dev/console
                writable() { mount --bind "$1" "$2"; mount -o remount,bind,rw "$2"; }
                writable %1$s %1$s
                writable %1$s/etc /etc
                writable %1$s/home /home
                writable %1$s/srv /srv
                writable %1$s/var-lib-systemd /var/lib/systemd
                mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
                mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
                mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
                mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
                mount -t cgroup2 cgroup2 /sys/fs/cgroup
                exec env -i container=flotilla-testhost SYSTEMD_UNIT_PATH=%1$s/units \\
                  SYSTEMD_GENERATOR_PATH=%1$s/empty SYSTEMD_ENVIRONMENT_GENERATOR_PATH=%1$s/empty \\
                  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
                  /usr/lib/systemd/systemd --unit=%2$s --log-target=console
                """.formatted(dir, TARGET);
    }

    /** Starts the host's systemd in its namespaces, detached; its output goes to {@code boot.log}. */
    static void boot(String name, Path dir) {
        removeCgroup(name);
        createDirectories(cgroup(name));
        Command.check(List.of(
                "sh",
                "-c",
                "setsid -f sh \"$1\" < /dev/null >> \"$2\" 2>&1",
                "flotilla-testhost-boot",
                dir.resolve("start.sh").toString(),
                dir.resolve("boot.log").toString()));
    }

    /**
     * Kills what is left in the host's cgroup (its processes are in its network namespace too, so
     * this is a second net) and removes the cgroup, innermost first.
     */
    static void removeCgroup(String name) {
        Path root;
        try {
            root = cgroup(name);
        } catch (TestHostsException noCgroup2) {
            return; // No cgroup2 here: no systemd host ever ran.
        }
        if (!Files.isDirectory(root)) {
            return;
        }
        Path kill = root.resolve("cgroup.kill");
        if (Files.exists(kill)) {
            write(kill, "1");
        }
        // EBUSY while the kernel still tears the killed processes down.
        Optional<IOException> busy = Await.untilNoIoError(
                CGROUP_REMOVE_TIMEOUT, CGROUP_REMOVE_POLL_INTERVAL, "removing a test host's cgroup", () -> {
                    try (Stream<Path> walk = Files.walk(root)) {
                        for (Path each : walk.filter(Files::isDirectory)
                                .sorted(Comparator.reverseOrder())
                                .toList()) {
                            Files.deleteIfExists(each);
                        }
                    }
                });
        if (busy.isPresent()) {
            throw new TestHostsException(
                    "cannot remove cgroup %s of test host %s: %s"
                            .formatted(root, name, busy.get().getMessage()),
                    busy.get());
        }
    }

    /** Removes the cgroups of every host named {@code <prefix><i>}, live or left by a killed run. */
    static void removeCgroups(String prefix) {
        Path parent;
        try {
            parent = cgroupRoot().resolve(CGROUP_PARENT);
        } catch (TestHostsException noCgroup2) {
            return;
        }
        if (!Files.isDirectory(parent)) {
            return;
        }
        Pattern ours = Pattern.compile(Pattern.quote(prefix) + "\\d+");
        try (Stream<Path> children = Files.list(parent)) {
            for (Path child : children.filter(Files::isDirectory).toList()) {
                String name = child.getFileName().toString();
                if (HOST_NAME.matcher(name).matches() && ours.matcher(name).matches()) {
                    removeCgroup(name);
                }
            }
        } catch (IOException e) {
            throw new TestHostsException("cannot list %s: %s".formatted(parent, e.getMessage()), e);
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TestHostsException("cannot write %s: %s".formatted(file, e.getMessage()), e);
        }
    }
}
