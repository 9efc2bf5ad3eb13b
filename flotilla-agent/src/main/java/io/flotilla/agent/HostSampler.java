package io.flotilla.agent;

import io.flotilla.agent.api.HostItem;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Samples the host's load from {@code /proc} once a second on a thread of its own, so that a
 * question about load is answered from the last sample at once rather than by sampling on demand.
 * Rates (CPU usage, bytes per second) are the difference between the last two samples.
 */
public final class HostSampler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HostSampler.class.getName());
    private static final long SECTOR_BYTES = 512;
    /** The names of the rates of a network interface's counters, in the order {@link #counters} reads them. */
    private static final List<String> NET_RATES = List.of("rx-bytes/s", "rx-packets/s", "tx-bytes/s", "tx-packets/s");
    /** Likewise for a disk's. */
    private static final List<String> DISK_RATES =
            List.of("read-ops/s", "read-bytes/s", "write-ops/s", "write-bytes/s");

    private final Path proc;
    private final ScheduledExecutorService loop;
    private Counters previous;
    private volatile List<HostItem> last = List.of();

    private HostSampler(Path proc) {
        this.proc = proc;
        this.loop = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("host-sampler").daemon().factory());
    }

    /** Takes a first sample now and one every {@code interval} after. */
    public static HostSampler start(Duration interval) {
        HostSampler sampler = new HostSampler(Path.of("/proc"));
        sampler.sample();
        sampler.loop.scheduleWithFixedDelay(
                sampler::sample, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return sampler;
    }

    /** The figures of the last sample; rates appear from the second sample on. */
    public List<HostItem> load() {
        return last;
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }

    private void sample() {
        try {
            long now = System.nanoTime();
            Counters current = counters(now);
            List<HostItem> items = new ArrayList<>();
            String[] loadavg = read("loadavg").trim().split("\\s+");
            items.add(new HostItem("cpu", "cpu", "load1", loadavg[0]));
            items.add(new HostItem("cpu", "cpu", "load5", loadavg[1]));
            items.add(new HostItem("cpu", "cpu", "load15", loadavg[2]));
            Map<String, Long> memory = HostInventory.meminfo(read("meminfo"));
            long total = memory.getOrDefault("MemTotal", 0L);
            long available = memory.getOrDefault("MemAvailable", memory.getOrDefault("MemFree", 0L));
            long free = memory.getOrDefault("MemFree", 0L);
            items.add(new HostItem("memory", "virtual", "total", Long.toString(total)));
            items.add(new HostItem("memory", "virtual", "used", Long.toString(total - available)));
            items.add(new HostItem("memory", "virtual", "free", Long.toString(free)));
            items.add(new HostItem("memory", "virtual", "available", Long.toString(available)));
            items.add(new HostItem("memory", "virtual", "used-percent", percent(total - available, total)));
            Counters before = previous;
            if (before != null) {
                double seconds = (current.nanos - before.nanos) / 1e9;
                long busy = current.cpuBusy - before.cpuBusy;
                long all = current.cpuTotal - before.cpuTotal;
                items.add(new HostItem("cpu", "cpu", "usage", all <= 0 ? "0.00" : twoDecimals(100.0 * busy / all)));
                addRates(items, "net", NET_RATES, current.net, before.net, seconds);
                addRates(items, "disk", DISK_RATES, current.disks, before.disks, seconds);
            }
            previous = current;
            last = List.copyOf(items);
        } catch (Throwable e) {
            // A sampling loop that dies would answer stale figures forever.
            LOG.log(Level.WARNING, "cannot sample the host's load: " + e);
        }
    }

    private Counters counters(long now) throws IOException {
        long busy = 0;
        long total = 0;
        for (String line : read("stat").split("\n")) {
            if (line.startsWith("cpu ")) {
                String[] fields = line.trim().split("\\s+");
                for (int i = 1; i < fields.length && i <= 8; i++) {
                    long value = Long.parseLong(fields[i]);
                    total += value;
                    // idle (4) and iowait (5) are the time the CPUs did nothing.
                    if (i != 4 && i != 5) {
                        busy += value;
                    }
                }
            }
        }
        Map<String, long[]> net = new HashMap<>();
        for (String line : read("net/dev").split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim();
            String[] fields = line.substring(colon + 1).trim().split("\\s+");
            net.put(name, new long[] {
                Long.parseLong(fields[0]),
                Long.parseLong(fields[1]),
                Long.parseLong(fields[8]),
                Long.parseLong(fields[9])
            });
        }
        Map<String, long[]> disks = new HashMap<>();
        for (String line : read("diskstats").split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 10 || !HostInventory.isDisk(fields[2])) {
                continue;
            }
            disks.put(fields[2], new long[] {
                Long.parseLong(fields[3]),
                Long.parseLong(fields[5]) * SECTOR_BYTES,
                Long.parseLong(fields[7]),
                Long.parseLong(fields[9]) * SECTOR_BYTES
            });
        }
        return new Counters(now, busy, total, net, disks);
    }

    private String read(String file) throws IOException {
        return Files.readString(proc.resolve(file));
    }

    /** The rate of each counter of each device that both samples have, named by {@code names}. */
    private static void addRates(
            List<HostItem> items,
            String type,
            List<String> names,
            Map<String, long[]> now,
            Map<String, long[]> before,
            double seconds) {
        for (Map.Entry<String, long[]> device : now.entrySet()) {
            long[] old = before.get(device.getKey());
            if (old != null) {
                for (int i = 0; i < names.size(); i++) {
                    items.add(new HostItem(
                            type, device.getKey(), names.get(i), rate(device.getValue()[i] - old[i], seconds)));
                }
            }
        }
    }

    private static String rate(long delta, double seconds) {
        return seconds <= 0 ? "0.00" : twoDecimals(Math.max(0, delta) / seconds);
    }

    private static String percent(long part, long whole) {
        return whole <= 0 ? "0.00" : twoDecimals(100.0 * part / whole);
    }

    // Once a second for every figure: plain arithmetic rather than a Formatter and its locale data.
    static String twoDecimals(double value) {
        long hundredths = Math.round(value * 100);
        long fraction = Math.abs(hundredths % 100);
        return (hundredths < 0 && hundredths > -100 ? "-" : "")
                + hundredths / 100
                + (fraction < 10 ? ".0" : ".")
                + fraction;
    }

    private record Counters(
            long nanos, long cpuBusy, long cpuTotal, Map<String, long[]> net, Map<String, long[]> disks) {}
}
