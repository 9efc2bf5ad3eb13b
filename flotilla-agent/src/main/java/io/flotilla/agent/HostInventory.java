package io.flotilla.agent;

import io.flotilla.agent.api.HostItem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The host's hardware and kernel settings, read from {@code /proc} and {@code /sys} when asked. */
public final class HostInventory {
    /** Kernel parameters that matter to a database host. */
    private static final List<String> SYSCTLS = List.of(
            "fs.file-max",
            "fs.nr_open",
            "fs.aio-max-nr",
            "kernel.pid_max",
            "kernel.threads-max",
            "kernel.shmmax",
            "kernel.shmall",
            "net.core.somaxconn",
            "net.core.rmem_max",
            "net.core.wmem_max",
            "net.ipv4.tcp_max_syn_backlog",
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_tw_reuse",
            "vm.swappiness",
            "vm.overcommit_memory",
            "vm.dirty_ratio",
            "vm.dirty_background_ratio",
            "vm.max_map_count",
            "vm.min_free_kbytes");

    private static final Set<String> REAL_FILESYSTEMS =
            Set.of("ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "overlay", "tmpfs", "vfat");

    private HostInventory() {}

    /** CPU, memory, disks, filesystems and network interfaces. */
    public static List<HostItem> hardware() {
        List<HostItem> items = new ArrayList<>();
        String cpuinfo = readQuietly(Path.of("/proc/cpuinfo"));
        String model = "";
        double mhz = 0;
        Set<String> cores = new LinkedHashSet<>();
        int threads = 0;
        String physical = "0";
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "processor" -> threads++;
                case "model name" -> model = value;
                case "cpu MHz" -> mhz = Math.max(mhz, parseDouble(value));
                case "physical id" -> physical = value;
                case "core id" -> cores.add(physical + "/" + value);
                default -> {}
            }
        }
        items.add(new HostItem("cpu", "cpu", "cpu-model", model));
        items.add(new HostItem("cpu", "cpu", "cpu-logical-cores", Integer.toString(threads)));
        items.add(new HostItem(
                "cpu", "cpu", "cpu-physical-cores", Integer.toString(cores.isEmpty() ? threads : cores.size())));
        String max = readQuietly(Path.of("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"))
                .trim();
        items.add(new HostItem(
                "cpu",
                "cpu",
                "cpu-frequency",
                max.isEmpty() ? "%.0fMHz".formatted(mhz) : "%dMHz".formatted(Long.parseLong(max) / 1000)));
        Map<String, Long> memory = meminfo(readQuietly(Path.of("/proc/meminfo")));
        items.add(new HostItem("memory", "memory", "capacity", Long.toString(memory.getOrDefault("MemTotal", 0L))));
        items.add(new HostItem("memory", "swap", "capacity", Long.toString(memory.getOrDefault("SwapTotal", 0L))));
        for (Path block : list(Path.of("/sys/block"))) {
            String name = block.getFileName().toString();
            if (!isDisk(name)) {
                continue;
            }
            String sectors = readQuietly(block.resolve("size")).trim();
            if (!sectors.isEmpty()) {
                items.add(new HostItem("disk", name, "capacity", Long.toString(Long.parseLong(sectors) * 512)));
            }
            String rotational = readQuietly(block.resolve("queue/rotational")).trim();
            if (!rotational.isEmpty()) {
                items.add(new HostItem("disk", name, "rotational", rotational.equals("1") ? "yes" : "no"));
            }
        }
        Set<String> seen = new LinkedHashSet<>();
        for (String line : readQuietly(Path.of("/proc/mounts")).split("\n")) {
            String[] fields = line.split(" ");
            if (fields.length < 3 || !REAL_FILESYSTEMS.contains(fields[2]) || !seen.add(fields[1])) {
                continue;
            }
            String mount = fields[1].replace("\\040", " ");
            try {
                FileStore store = Files.getFileStore(Path.of(mount));
                long total = store.getTotalSpace();
                long free = store.getUsableSpace();
                items.add(new HostItem("disk", mount, "fstype", fields[2]));
                items.add(new HostItem("disk", mount, "device", fields[0]));
                items.add(new HostItem("disk", mount, "total", Long.toString(total)));
                items.add(new HostItem("disk", mount, "free", Long.toString(free)));
                items.add(new HostItem("disk", mount, "used", Long.toString(total - store.getUnallocatedSpace())));
            } catch (IOException | SecurityException ignored) {
                // A mount this user cannot see into is left out rather than failing the whole answer.
            }
        }
        for (Path net : list(Path.of("/sys/class/net"))) {
            String name = net.getFileName().toString();
            items.add(new HostItem(
                    "net", name, "mac", readQuietly(net.resolve("address")).trim()));
            items.add(new HostItem(
                    "net", name, "mtu", readQuietly(net.resolve("mtu")).trim()));
            items.add(new HostItem(
                    "net", name, "state", readQuietly(net.resolve("operstate")).trim()));
            String speed = readQuietly(net.resolve("speed")).trim();
            if (!speed.isEmpty() && !speed.startsWith("-")) {
                items.add(new HostItem("net", name, "speed", speed + "Mb/s"));
            }
        }
        return List.copyOf(items);
    }

    /** Kernel parameters from {@code /proc/sys}, the agent's process limits and the kernel's release. */
    public static List<HostItem> systemInfo() {
        List<HostItem> items = new ArrayList<>();
        for (String name : SYSCTLS) {
            Path file = Path.of("/proc/sys", name.replace('.', '/'));
            String value = readQuietly(file).trim().replaceAll("\\s+", " ");
            if (!value.isEmpty()) {
                items.add(new HostItem("system", "sysctl", name, value));
            }
        }
        items.add(new HostItem(
                "system",
                "kernel",
                "release",
                readQuietly(Path.of("/proc/sys/kernel/osrelease")).trim()));
        for (String line : readQuietly(Path.of("/proc/self/limits")).split("\n")) {
            // "Max open files            1024                 1048576              files"
            if (!line.startsWith("Max ")) {
                continue;
            }
            String[] parts =
                    line.substring(0, Math.min(line.length(), 26)).trim().split("\\s+", 2);
            String name = line.substring(0, Math.min(line.length(), 26))
                    .trim()
                    .toLowerCase()
                    .replace(' ', '-');
            String[] values = line.length() > 26 ? line.substring(26).trim().split("\\s+") : new String[0];
            if (parts.length > 0 && values.length >= 2) {
                items.add(new HostItem("process", "limits", name + "-soft", values[0]));
                items.add(new HostItem("process", "limits", name + "-hard", values[1]));
            }
        }
        return List.copyOf(items);
    }

    static Map<String, Long> meminfo(String text) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String[] value = line.substring(colon + 1).trim().split("\\s+");
            try {
                long number = Long.parseLong(value[0]);
                values.put(
                        line.substring(0, colon), value.length > 1 && value[1].equals("kB") ? number * 1024 : number);
            } catch (NumberFormatException ignored) {
                // Not a figure.
            }
        }
        return values;
    }

    /** Whole disks, not partitions, loop devices or RAM disks. */
    static boolean isDisk(String name) {
        if (name.startsWith("loop") || name.startsWith("ram") || name.startsWith("zram")) {
            return false;
        }
        return Files.exists(Path.of("/sys/block", name));
    }

    private static List<Path> list(Path dir) {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(entries::add);
        } catch (IOException ignored) {
            return List.of();
        }
        entries.sort(null);
        return entries;
    }

    private static double parseDouble(String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException ignored) {
            return 0;
        }
    }

    /**
     * The whole file. Not {@code Files.readString}: /proc and /sys files report size 0, and a
     * numeric sysctl answers only a read at offset 0, so a read sized from the file gave its first
     * byte alone ("2" for an fs.file-max of 2465610).
     */
    static String readQuietly(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException ignored) {
            return "";
        }
    }
}
