package io.flotilla.k8s;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes quantities, and TiUP's systemd limits ({@code memory_limit: 32G},
 * {@code cpu_quota: 200%}) turned into them.
 */
final class Quantities {
    private static final Pattern QUANTITY = Pattern.compile("[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?");
    /** systemd reads K, M, G and T as powers of 1024. */
    private static final Pattern SYSTEMD_SIZE = Pattern.compile("([0-9]+)([KMGT]?)");

    private static final Map<String, String> BINARY_UNITS = Map.of("K", "Ki", "M", "Mi", "G", "Gi", "T", "Ti");
    private static final Pattern PERCENT = Pattern.compile("([0-9]+)%");

    private Quantities() {}

    static boolean isQuantity(String text) {
        return QUANTITY.matcher(text).matches();
    }

    /** systemd's {@code MemoryMax} value as a quantity; empty when it is not a plain size. */
    static Optional<String> memory(String systemd) {
        Matcher size = SYSTEMD_SIZE.matcher(systemd);
        if (!size.matches()) {
            return Optional.empty();
        }
        return Optional.of(size.group(1) + (size.group(2).isEmpty() ? "" : BINARY_UNITS.get(size.group(2))));
    }

    /** systemd's {@code CPUQuota}, a percentage of one CPU, as a quantity of CPUs: 200% is 2, 150% is 1500m. */
    static Optional<String> cpu(String systemd) {
        Matcher percent = PERCENT.matcher(systemd);
        if (!percent.matches() || Long.parseLong(percent.group(1)) == 0) {
            return Optional.empty();
        }
        long hundredths = Long.parseLong(percent.group(1));
        return Optional.of(hundredths % 100 == 0 ? String.valueOf(hundredths / 100) : (hundredths * 10) + "m");
    }
}
