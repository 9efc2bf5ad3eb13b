package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.catalog.ComponentKind;
import io.flotilla.catalog.Support;
import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.exec.ListeningPorts;
import io.flotilla.topology.ComponentSource;
import io.flotilla.topology.Instance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The pre-flight rules TiUP's {@code check} applies, on one host: system, resources, limits, sysctl
 * values, time, the ssh user's privileges, and what the cluster's instances need there (free ports,
 * writable and empty dirs, free disk, installed binaries). Facts are read with one shell script;
 * {@code --apply} changes only runtime settings that are safe to change, and says so in the row.
 */
public final class HostCheck {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long NOFILE_MIN = 1_000_000;
    private static final long FILE_MAX_MIN = 1_000_000;
    private static final long SOMAXCONN_MIN = 32_768;
    private static final long DISK_FAIL_KB = 1L << 20;
    private static final long DISK_WARN_KB = 10L << 20;
    private static final long CLOCK_FAIL_MILLIS = 1_000;

    private static final String FACTS = """
            . /etc/os-release 2>/dev/null
            echo "os=${PRETTY_NAME:-unknown}"
            echo "os_id=${ID:-unknown}"
            echo "kernel=$(uname -r)"
            echo "arch=$(uname -m)"
            echo "cpus=$(nproc)"
            echo "mem_kb=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
            echo "swap_kb=$(awk '/^SwapTotal:/{print $2}' /proc/meminfo)"
            echo "thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
            echo "nofile=$(ulimit -Sn)"
            for key in fs.file-max net.core.somaxconn vm.swappiness; do
              echo "sysctl.$key=$(cat /proc/sys/$(echo $key | tr . /) 2>/dev/null)"
            done
            echo "uid=$(id -u)"
            echo "user=$(id -un)"
            echo "sudo=$(sudo -n true 2>/dev/null && echo yes || echo no)"
            echo "ntp=$(timedatectl show -p NTPSynchronized --value 2>/dev/null)"
            for daemon in chronyd ntpd systemd-timesyncd; do
              pgrep -x $daemon >/dev/null 2>&1 && echo "timesync=$daemon"
            done
            echo "selinux=$(getenforce 2>/dev/null || echo absent)"
            echo "now_ms=$(date +%s%3N)"
            for dir in "$@"; do
              probe=$dir
              while [ ! -e "$probe" ]; do probe=$(dirname "$probe"); done
              if [ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then empty=0; else empty=1; fi
              if [ -w "$probe" ]; then writable=1; else writable=0; fi
              free=$(df -Pk "$probe" | awk 'NR==2{print $4}')
              echo "dir=$dir|$empty|$writable|$free|$probe"
            done
            """;

    private final Executor executor;
    private final String host;
    private final List<Instance> instances;
    private final Function<Instance, ComponentKind> kinds;
    private final boolean deployed;
    private final Function<String, ComponentSource> sources;

    /**
     * @param deployed the instances are already deployed: their own ports and files are expected, not conflicts
     */
    public HostCheck(
            Executor executor,
            List<Instance> instances,
            Function<Instance, ComponentKind> kinds,
            Function<String, ComponentSource> sources,
            boolean deployed) {
        this.sources = requireNonNull(sources, "sources is null");
        this.executor = requireNonNull(executor, "executor is null");
        this.host = executor.host();
        this.instances = List.copyOf(instances);
        this.kinds = requireNonNull(kinds, "kinds is null");
        this.deployed = deployed;
    }

    /** Every rule's row for this host, in a fixed order; {@code apply} first fixes what it safely can. */
    public List<CheckResult> run(boolean apply, Predicate<String> selected) {
        Map<String, String> facts = facts();
        List<CheckResult> rows = new ArrayList<>();
        rows.addAll(system(facts));
        rows.addAll(settings(facts));
        rows.addAll(instanceNeeds(facts));
        List<CheckResult> chosen =
                rows.stream().filter(row -> selected.test(row.check())).toList();
        if (!apply) {
            return chosen;
        }
        boolean privileged = facts.get("uid").equals("0") || facts.get("sudo").equals("yes");
        return chosen.stream().map(row -> fix(row, privileged)).toList();
    }

    private Map<String, String> facts() {
        List<String> command = new ArrayList<>(List.of("sh", "-c", FACTS, "sh"));
        command.addAll(dirs());
        long before = System.currentTimeMillis();
        CommandResult result = executor.check(command, TIMEOUT);
        long after = System.currentTimeMillis();
        Map<String, String> facts = new LinkedHashMap<>();
        List<String> dirLines = new ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            int equals = line.indexOf('=');
            if (equals < 0) {
                continue;
            }
            String key = line.substring(0, equals);
            String value = line.substring(equals + 1).strip();
            if (key.equals("dir")) {
                dirLines.add(value);
            } else if (key.equals("timesync")) {
                facts.merge(key, value, (first, second) -> first + ", " + second);
            } else {
                facts.put(key, value);
            }
        }
        facts.put("dirs", String.join("\n", dirLines));
        facts.put("local_ms", String.valueOf((before + after) / 2));
        facts.put("rtt_ms", String.valueOf(after - before));
        return facts;
    }

    private List<String> dirs() {
        Set<String> dirs = new LinkedHashSet<>();
        for (Instance instance : instances) {
            dirs.add(instance.deployDir());
            if (instance.dataDir() != null) {
                dirs.add(instance.dataDir());
            }
            dirs.add(instance.logDir());
        }
        return List.copyOf(dirs);
    }

    private List<CheckResult> system(Map<String, String> facts) {
        List<CheckResult> rows = new ArrayList<>();
        String os = "%s, kernel %s, %s".formatted(facts.get("os"), facts.get("kernel"), facts.get("arch"));
        rows.add(
                Set.of("debian", "ubuntu").contains(facts.get("os_id"))
                        ? CheckResult.pass(host, "os", os)
                        : CheckResult.warn(
                                host,
                                "os",
                                os + ": Flotilla names Debian packages; on another system give component_sources"));
        int cpus = Integer.parseInt(facts.get("cpus"));
        rows.add(
                cpus >= 2
                        ? CheckResult.pass(host, "cpu", "%d cores".formatted(cpus))
                        : CheckResult.warn(host, "cpu", "%d core; a database host wants 2 or more".formatted(cpus)));
        long memMb = Long.parseLong(facts.get("mem_kb")) / 1024;
        rows.add(
                memMb >= 2048
                        ? CheckResult.pass(host, "memory", "%d MiB".formatted(memMb))
                        : CheckResult.warn(
                                host, "memory", "%d MiB; a database host wants 2048 MiB or more".formatted(memMb)));
        long swapMb = Long.parseLong(facts.get("swap_kb")) / 1024;
        rows.add(
                swapMb == 0
                        ? CheckResult.pass(host, "swap", "off")
                        : CheckResult.warn(
                                host, "swap", "%d MiB of swap is on; TiUP recommends `swapoff -a`".formatted(swapMb)));
        String user = facts.get("user");
        if (facts.get("uid").equals("0")) {
            rows.add(CheckResult.pass(host, "privileges", "%s (uid 0)".formatted(user)));
        } else if (facts.get("sudo").equals("yes")) {
            rows.add(CheckResult.pass(host, "privileges", "%s may use sudo without a password".formatted(user)));
        } else {
            rows.add(CheckResult.warn(
                    host,
                    "privileges",
                    "%s is not root and has no passwordless sudo: --apply cannot change system settings"
                            .formatted(user)));
        }
        long offset = Long.parseLong(facts.get("now_ms")) - Long.parseLong(facts.get("local_ms"));
        long slack = Long.parseLong(facts.get("rtt_ms")) / 2;
        String clock = "%+d ms from this machine (±%d ms)".formatted(offset, slack);
        rows.add(
                Math.abs(offset) - slack > CLOCK_FAIL_MILLIS
                        ? CheckResult.fail(host, "clock", clock + "; sync the clocks (chrony or NTP)")
                        : CheckResult.pass(host, "clock", clock));
        String ntp = facts.getOrDefault("ntp", "");
        String daemons = facts.getOrDefault("timesync", "");
        if (ntp.equals("yes")) {
            rows.add(CheckResult.pass(host, "time sync", "synchronised (timedatectl)"));
        } else if (!daemons.isEmpty()) {
            rows.add(CheckResult.pass(host, "time sync", daemons + " runs"));
        } else {
            rows.add(CheckResult.warn(host, "time sync", "no chronyd, ntpd or systemd-timesyncd runs; install chrony"));
        }
        String selinux = facts.get("selinux");
        rows.add(
                selinux.equals("Enforcing")
                        ? CheckResult.warn(host, "selinux", "Enforcing; TiUP asks for Permissive or Disabled")
                        : CheckResult.pass(host, "selinux", selinux));
        return rows;
    }

    private List<CheckResult> settings(Map<String, String> facts) {
        List<CheckResult> rows = new ArrayList<>();
        String thp = facts.get("thp");
        if (thp.isEmpty() || thp.contains("[never]")) {
            rows.add(CheckResult.pass(host, "transparent hugepages", thp.isEmpty() ? "not supported" : "never"));
        } else {
            rows.add(CheckResult.warn(host, "transparent hugepages", thp + "; set to never"));
        }
        long nofile = limit(facts.get("nofile"));
        rows.add(
                nofile >= NOFILE_MIN
                        ? CheckResult.pass(host, "limit nofile", String.valueOf(nofile))
                        : CheckResult.warn(
                                host,
                                "limit nofile",
                                "%d < %d; add `%s soft nofile %d` and `%s hard nofile %d` to /etc/security/limits.d/"
                                        .formatted(
                                                nofile,
                                                NOFILE_MIN,
                                                facts.get("user"),
                                                NOFILE_MIN,
                                                facts.get("user"),
                                                NOFILE_MIN)));
        rows.add(atLeast(facts, "fs.file-max", FILE_MAX_MIN));
        rows.add(atLeast(facts, "net.core.somaxconn", SOMAXCONN_MIN));
        String swappiness = facts.get("sysctl.vm.swappiness");
        rows.add(
                swappiness.equals("0")
                        ? CheckResult.pass(host, "sysctl vm.swappiness", "0")
                        : CheckResult.warn(host, "sysctl vm.swappiness", swappiness + ", want 0"));
        return rows;
    }

    private CheckResult atLeast(Map<String, String> facts, String key, long minimum) {
        String value = facts.get("sysctl." + key);
        long actual = value.isEmpty() ? -1 : limit(value);
        return actual >= minimum
                ? CheckResult.pass(host, "sysctl " + key, value)
                : CheckResult.warn(host, "sysctl " + key, "%s, want %d or more".formatted(value, minimum));
    }

    private static long limit(String value) {
        return value.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(value);
    }

    private List<CheckResult> instanceNeeds(Map<String, String> facts) {
        List<CheckResult> rows = new ArrayList<>();
        ListeningPorts listening = ListeningPorts.of(executor);
        for (Instance instance : instances) {
            for (Map.Entry<String, Integer> port : instance.ports().entrySet()) {
                String check = "port " + port.getValue();
                String owner = listening.owner(port.getValue()).orElse(null);
                String what = "%s %s %s".formatted(instance.component(), instance.id(), port.getKey());
                if (owner == null) {
                    rows.add(CheckResult.pass(host, check, deployed ? what + ": nothing listens" : what + ": free"));
                } else if (deployed) {
                    rows.add(CheckResult.pass(host, check, "%s: in use by %s".formatted(what, owner)));
                } else {
                    rows.add(CheckResult.fail(
                            host,
                            check,
                            "%s: in use by %s; change it in %s or stop that process"
                                    .formatted(what, owner, instance.position())));
                }
            }
        }
        Set<String> dataDirs = new LinkedHashSet<>();
        instances.stream().map(Instance::dataDir).filter(dir -> dir != null).forEach(dataDirs::add);
        for (String line : facts.get("dirs").split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\\|", 5);
            String dir = fields[0];
            boolean empty = fields[1].equals("1");
            boolean writable = fields[2].equals("1");
            long freeKb = Long.parseLong(fields[3]);
            String probe = fields[4];
            String check = "dir " + dir;
            if (!writable) {
                rows.add(CheckResult.fail(host, check, "%s is not writable by %s".formatted(probe, facts.get("user"))));
            } else if (!deployed && dataDirs.contains(dir) && !empty) {
                rows.add(CheckResult.fail(
                        host,
                        check,
                        "data dir is not empty; another deploy's data? move it away or choose another dir"));
            } else {
                rows.add(CheckResult.pass(host, check, probe.equals(dir) ? "writable" : "creatable under " + probe));
            }
            if (dataDirs.contains(dir)) {
                String free = "%d MiB free on %s".formatted(freeKb / 1024, probe);
                rows.add(
                        freeKb < DISK_FAIL_KB
                                ? CheckResult.fail(host, "disk " + dir, free + "; needs 1024 MiB at least")
                                : freeKb < DISK_WARN_KB
                                        ? CheckResult.warn(
                                                host, "disk " + dir, free + "; a data dir wants 10 GiB or more")
                                        : CheckResult.pass(host, "disk " + dir, free));
            }
        }
        Set<String> binaries = new LinkedHashSet<>();
        for (Instance instance : instances) {
            ComponentKind kind = kinds.apply(instance);
            if (kind.support() instanceof Support.DescribedOnly described) {
                rows.add(CheckResult.fail(
                        host,
                        "component " + instance.component(),
                        "Flotilla does not run %s yet: %s".formatted(instance.component(), described.reason())));
            } else if (!(sources.apply(instance.component()) instanceof ComponentSource.System)) {
                if (binaries.add("source " + instance.component())) {
                    rows.add(CheckResult.pass(
                            host,
                            "source " + instance.component(),
                            "from %s, unpacked into each instance's bin at deploy"
                                    .formatted(describe(sources.apply(instance.component())))));
                }
            } else if (binaries.add(kind.binary())) {
                rows.add(
                        executor.exists(kind.binary())
                                ? CheckResult.pass(host, "package " + kind.binaryPackage(), kind.binary())
                                : CheckResult.fail(
                                        host,
                                        "package " + kind.binaryPackage(),
                                        "%s is missing; install the Debian package %s"
                                                .formatted(kind.binary(), kind.binaryPackage())));
            }
        }
        for (String tool : List.of("tar", "gzip")) {
            boolean present = executor.run(List.of("sh", "-c", "command -v " + tool), TIMEOUT)
                    .succeeded();
            rows.add(
                    present
                            ? CheckResult.pass(host, "package " + tool, "present (unpacks the agent's Java runtime)")
                            : CheckResult.fail(
                                    host,
                                    "package " + tool,
                                    "missing; the agent's Java runtime is unpacked with it: install the Debian package "
                                            + tool));
        }
        return rows;
    }

    private static String describe(ComponentSource source) {
        return switch (source) {
            case ComponentSource.System system -> "the system package";
            case ComponentSource.Tarball tarball -> "the tarball " + tarball.location();
            case ComponentSource.Mirror mirror -> "the mirror's " + mirror.name();
        };
    }

    /** Fixes a row when that is safe at run time; everything else is left, with the reason, for the operator. */
    private CheckResult fix(CheckResult row, boolean privileged) {
        if (row.verdict() == CheckResult.Verdict.PASS) {
            return row;
        }
        String target = switch (row.check()) {
            case "sysctl fs.file-max" -> "fs.file-max=" + FILE_MAX_MIN;
            case "sysctl net.core.somaxconn" -> "net.core.somaxconn=" + SOMAXCONN_MIN;
            case "sysctl vm.swappiness" -> "vm.swappiness=0";
            default -> null;
        };
        if (target == null && !row.check().equals("transparent hugepages")) {
            return row;
        }
        if (!privileged) {
            return new CheckResult(
                    row.host(),
                    row.check(),
                    row.verdict(),
                    row.detail(),
                    "not changed: needs root or passwordless sudo");
        }
        List<String> command = target != null
                ? List.of("sysctl", "-w", target)
                : List.of("sh", "-c", "echo never > /sys/kernel/mm/transparent_hugepage/enabled");
        CommandResult result = executor.run(sudo(command), TIMEOUT);
        if (!result.succeeded()) {
            return new CheckResult(
                    row.host(),
                    row.check(),
                    row.verdict(),
                    row.detail(),
                    "not changed: %s failed: %s"
                            .formatted(
                                    String.join(" ", command), result.stderr().strip()));
        }
        String change = target != null ? "set " + target : "set never";
        return new CheckResult(
                row.host(),
                row.check(),
                CheckResult.Verdict.PASS,
                row.detail(),
                change + " (run time only; persist it in /etc/sysctl.d or the boot loader to survive a reboot)");
    }

    private List<String> sudo(List<String> command) {
        // The facts script said whether sudo is needed; root runs the command as it is.
        CommandResult uid = executor.run(List.of("id", "-u"), TIMEOUT);
        if (uid.stdout().strip().equals("0")) {
            return command;
        }
        List<String> withSudo = new ArrayList<>(List.of("sudo", "-n"));
        withSudo.addAll(command);
        return withSudo;
    }
}
