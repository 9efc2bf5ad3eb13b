package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.catalog.ComponentKind;
import io.flotilla.catalog.Support;
import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.exec.ListeningPorts;
import io.flotilla.topology.ComponentSource;
import io.flotilla.topology.Instance;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The pre-flight rules TiUP's {@code check} applies, on one host: system, resources, limits, sysctl
 * values, time, the ssh user's privileges, and what the cluster's instances need there (free ports,
 * writable and empty dirs, free disk, installed binaries). Facts are read with one shell script.
 * {@code --apply}, as root or a passwordless sudoer, sets the sysctl values and keeps them in
 * {@value #SYSCTL_FILE}, gives the deploy user the nofile limit in {@value #LIMITS_FILE}, and turns
 * transparent hugepages off until the next boot; each row says what it changed.
 */
public final class HostCheck {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long NOFILE_MIN = 1_000_000;
    private static final long FILE_MAX_MIN = 1_000_000;
    private static final long SOMAXCONN_MIN = 32_768;
    private static final long DISK_FAIL_KB = 1L << 20;
    private static final long DISK_WARN_KB = 10L << 20;
    private static final long CLOCK_FAIL_MILLIS = 1_000;
    static final String SYSCTL_FILE = "/etc/sysctl.d/99-flotilla.conf";
    static final String LIMITS_FILE = "/etc/security/limits.d/99-flotilla.conf";
    private static final String THP_FILE = "/sys/kernel/mm/transparent_hugepage/enabled";

    /** Sets a sysctl key now, then keeps it in Flotilla's own sysctl.d file (read at boot), replacing an older line of it. */
    private static final String PERSIST_SYSCTL = """
            set -e
            file=$1 key=$2 value=$3
            sysctl -w "$key=$value" >/dev/null
            mkdir -p "$(dirname "$file")"
            [ -f "$file" ] || printf '# Written by flotilla cluster check --apply: kernel settings of TiUP'"'"'s pre-flight rules.\n' > "$file"
            awk -v key="$key" '{ line = $0; sub(/[ \t]*=.*/, "", line); gsub(/[ \t]/, "", line) } line != key' "$file" > "$file.flotilla"
            printf '%s = %s\n' "$key" "$value" >> "$file.flotilla"
            chmod 0644 "$file.flotilla"
            mv "$file.flotilla" "$file"
            """;

    /** Gives a user soft and hard nofile limits in Flotilla's own limits.d file, replacing its older nofile lines there. */
    private static final String PERSIST_NOFILE = """
            set -e
            file=$1 user=$2 value=$3
            mkdir -p "$(dirname "$file")"
            [ -f "$file" ] || printf '# Written by flotilla cluster check --apply: limits of TiUP'"'"'s pre-flight rules.\n' > "$file"
            awk -v user="$user" '!($1 == user && $3 == "nofile")' "$file" > "$file.flotilla"
            printf '%s soft nofile %s\n%s hard nofile %s\n' "$user" "$value" "$user" "$value" >> "$file.flotilla"
            chmod 0644 "$file.flotilla"
            mv "$file.flotilla" "$file"
            """;

    private static final String FACTS = """
            deploy_user=$1
            shift
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
            for file in /etc/security/limits.conf /etc/security/limits.d/*.conf; do
              [ -f "$file" ] && cat "$file"
            done | awk -v user="$deploy_user" '
              $1 == user && $3 == "nofile" && ($2 == "soft" || $2 == "-") { soft = $4 }
              $1 == user && $3 == "nofile" && ($2 == "hard" || $2 == "-") { hard = $4 }
              END { print "limits_soft=" soft; print "limits_hard=" hard }'
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
            if command -v ip >/dev/null 2>&1; then
              echo "addrs=$(ip -o addr show 2>/dev/null | awk '{ split($4, a, "/"); printf "%s ", a[1] }')"
              echo "nonlocal_bind4=$(cat /proc/sys/net/ipv4/ip_nonlocal_bind 2>/dev/null)"
              echo "nonlocal_bind6=$(cat /proc/sys/net/ipv6/ip_nonlocal_bind 2>/dev/null)"
            fi
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
    private final String deployUser;
    private final List<Instance> instances;
    private final Function<Instance, ComponentKind> kinds;
    private final boolean deployed;
    private final Function<String, ComponentSource> sources;

    /**
     * @param deployUser the user the cluster's processes run as (global.user): the nofile limit is its
     * @param deployed the instances are already deployed: their own ports and files are expected, not conflicts
     */
    public HostCheck(
            Executor executor,
            String deployUser,
            List<Instance> instances,
            Function<Instance, ComponentKind> kinds,
            Function<String, ComponentSource> sources,
            boolean deployed) {
        this.sources = requireNonNull(sources, "sources is null");
        this.executor = requireNonNull(executor, "executor is null");
        this.host = executor.host();
        this.deployUser = requireNonNull(deployUser, "deployUser is null");
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
        List<CheckResult> fixed =
                new ArrayList<>(chosen.stream().map(row -> fix(row, privileged)).toList());
        List<String> refused = chosen.stream()
                .filter(row -> row.verdict() != CheckResult.Verdict.PASS)
                .map(HostCheck::writes)
                .filter(file -> file != null)
                .distinct()
                .toList();
        if (!privileged && !refused.isEmpty()) {
            fixed.add(CheckResult.fail(
                    host,
                    "apply",
                    "%s on %s is not root and may not run sudo without a password: --apply cannot change %s; %s"
                            .formatted(
                                    facts.get("user"),
                                    host,
                                    String.join(", ", refused),
                                    deployed
                                            // A deployed cluster is checked as its deploy user, who has no sudo by
                                            // design.
                                            ? "check the cluster's topology file with --apply and --user root (or a passwordless sudoer)"
                                            : "run it again with --user root (or a passwordless sudoer)")));
        }
        return List.copyOf(fixed);
    }

    /** What fixing a row writes on the host, or null when --apply leaves the row alone. */
    private static String writes(CheckResult row) {
        return switch (row.check()) {
            case "sysctl fs.file-max", "sysctl net.core.somaxconn", "sysctl vm.swappiness" -> SYSCTL_FILE;
            case "limit nofile" -> LIMITS_FILE;
            case "transparent hugepages" -> THP_FILE;
            default -> null;
        };
    }

    private Map<String, String> facts() {
        List<String> command = new ArrayList<>(List.of("sh", "-c", FACTS, "sh", deployUser));
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
        rows.add(nofile(facts));
        rows.add(atLeast(facts, "fs.file-max", FILE_MAX_MIN));
        rows.add(atLeast(facts, "net.core.somaxconn", SOMAXCONN_MIN));
        String swappiness = facts.get("sysctl.vm.swappiness");
        rows.add(
                swappiness.equals("0")
                        ? CheckResult.pass(host, "sysctl vm.swappiness", "0")
                        : CheckResult.warn(host, "sysctl vm.swappiness", swappiness + ", want 0"));
        return rows;
    }

    /**
     * The open files limit: the login's own session, or, as TiUP's rule reads it, what the limits
     * files give the deploy user from its next login (through PAM).
     */
    private CheckResult nofile(Map<String, String> facts) {
        long session = limit(facts.get("nofile"));
        String soft = facts.getOrDefault("limits_soft", "");
        String hard = facts.getOrDefault("limits_hard", "");
        if (session >= NOFILE_MIN) {
            return CheckResult.pass(host, "limit nofile", String.valueOf(session));
        }
        if (!soft.isEmpty() && !hard.isEmpty() && limit(soft) >= NOFILE_MIN && limit(hard) >= NOFILE_MIN) {
            return CheckResult.pass(
                    host,
                    "limit nofile",
                    "%d in this session of %s; the limits files give %s %s (soft) and %s (hard) from its next login"
                            .formatted(session, facts.get("user"), deployUser, soft, hard));
        }
        return CheckResult.warn(
                host,
                "limit nofile",
                "%d < %d; --apply (or you) adds `%s soft nofile %d` and `%s hard nofile %d` to %s"
                        .formatted(session, NOFILE_MIN, deployUser, NOFILE_MIN, deployUser, NOFILE_MIN, LIMITS_FILE));
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

    /**
     * Each address the host's instances listen on is one of the host's own (or a wildcard): a NAT
     * or public address that no interface holds cannot be listened on, and every instance on it
     * would fail to start. A wildcard needs no check, a listen host given as a name is not
     * resolved here, and a host without {@code ip} gets no row.
     */
    private List<CheckResult> listenAddresses(Map<String, String> facts) {
        String listed = facts.get("addrs");
        if (listed == null || listed.isBlank()) {
            return List.of(); // no ip, or it could not list them: unknown, not "none"
        }

        Set<InetAddress> own = new HashSet<>();
        for (String address : listed.trim().split("\\s+")) {
            literal(address).ifPresent(own::add);
        }
        List<CheckResult> rows = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Instance instance : instances) {
            String listen = instance.listenHost();
            if (!seen.add(listen)) {
                continue;
            }
            Optional<InetAddress> address = literal(listen);
            if (address.isEmpty() || address.get().isAnyLocalAddress()) {
                continue;
            }
            String check = "listen " + listen;
            if (address.get().isLoopbackAddress() || own.contains(address.get())) {
                rows.add(CheckResult.pass(host, check, "an address of this host"));
            } else if (facts.getOrDefault(
                            address.get() instanceof Inet6Address ? "nonlocal_bind6" : "nonlocal_bind4", "")
                    .equals("1")) {
                rows.add(CheckResult.warn(
                        host,
                        check,
                        "%s is no address of this host (it has %s); ip_nonlocal_bind lets the instances listen on it"
                                        .formatted(listen, listed.trim().replace(" ", ", "))
                                + " before it comes (a virtual IP?), and they answer only while the host holds it"));
            } else {
                rows.add(CheckResult.fail(
                        host,
                        check,
                        ("%s is no address of this host (it has %s): a NAT or public address cannot be listened on;"
                                        + " set listen_host (in global for the exporters, or on the instance at %s) to"
                                        + " one of the host's own addresses")
                                .formatted(listen, listed.trim().replace(" ", ", "), instance.position())));
            }
        }
        return rows;
    }

    /** An IP address written as one, never a name looked up. */
    private static Optional<InetAddress> literal(String text) {
        if (!text.contains(":") && !text.matches("[0-9.]+")) {
            return Optional.empty();
        }
        try {
            // A literal is parsed, never looked up.
            return Optional.of(InetAddress.getByName(text));
        } catch (UnknownHostException notALiteral) {
            return Optional.empty();
        }
    }

    private List<CheckResult> instanceNeeds(Map<String, String> facts) {
        List<CheckResult> rows = new ArrayList<>(listenAddresses(facts));
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

    /**
     * Fixes a row that --apply knows, as root (or with sudo): sysctl values now and in
     * {@value #SYSCTL_FILE}, the deploy user's nofile limit in {@value #LIMITS_FILE}, transparent
     * hugepages until the next boot. Every other row is left, with its advice, for the operator.
     */
    private CheckResult fix(CheckResult row, boolean privileged) {
        if (row.verdict() == CheckResult.Verdict.PASS || writes(row) == null) {
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
        List<String> command;
        String change;
        switch (row.check()) {
            case "limit nofile" -> {
                command = List.of(
                        "sh",
                        "-c",
                        PERSIST_NOFILE,
                        "flotilla-check",
                        LIMITS_FILE,
                        deployUser,
                        String.valueOf(NOFILE_MIN));
                change =
                        "wrote `%1$s soft nofile %2$d` and `%1$s hard nofile %2$d` to %3$s: they apply from %1$s's next login"
                                .formatted(deployUser, NOFILE_MIN, LIMITS_FILE);
            }
            case "transparent hugepages" -> {
                command = List.of("sh", "-c", "echo never > " + THP_FILE);
                change =
                        "set never at run time only: it is back at the kernel's default after a reboot unless the kernel"
                                + " command line has transparent_hugepage=never (GRUB_CMDLINE_LINUX in /etc/default/grub, then"
                                + " update-grub)";
            }
            default -> {
                String key = row.check().substring("sysctl ".length());
                long value = switch (key) {
                    case "fs.file-max" -> FILE_MAX_MIN;
                    case "net.core.somaxconn" -> SOMAXCONN_MIN;
                    case "vm.swappiness" -> 0;
                    default -> throw new IllegalStateException("no value to apply for " + key);
                };
                command =
                        List.of("sh", "-c", PERSIST_SYSCTL, "flotilla-check", SYSCTL_FILE, key, String.valueOf(value));
                change = "set %s=%d and kept it in %s".formatted(key, value, SYSCTL_FILE);
            }
        }
        CommandResult result = executor.run(sudo(command), TIMEOUT);
        if (!result.succeeded()) {
            return new CheckResult(
                    row.host(),
                    row.check(),
                    row.verdict(),
                    row.detail(),
                    "not changed: changing %s failed: %s"
                            .formatted(writes(row), result.stderr().strip()));
        }
        return new CheckResult(row.host(), row.check(), CheckResult.Verdict.PASS, row.detail(), change);
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
