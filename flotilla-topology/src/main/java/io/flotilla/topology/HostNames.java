package io.flotilla.topology;

import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Pattern;

/** What a topology may name a host by: an IPv4 or IPv6 address, or a host name as RFC 1123 has it. */
final class HostNames {
    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern HEXTET = Pattern.compile("[0-9A-Fa-f]{1,4}");
    /** A part inet_aton reads as a number: {@code 0x7f000001} and {@code 0x7f.1} name 127.0.0.1 to ssh and curl. */
    private static final Pattern NUMERIC_PART = Pattern.compile("0[xX][0-9A-Fa-f]*|\\d+");

    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private HostNames() {}

    /** Whether the host is written as an address, not a name. */
    static boolean address(String host) {
        return IPV4.matcher(host).matches() || (valid(host) && host.contains(":"));
    }

    static boolean valid(String host) {
        return why(host).isEmpty();
    }

    /** Why {@code host} is no address or host name, with what to write instead; empty when it is one. */
    static Optional<String> why(String host) {
        if (IPV4.matcher(host).matches() || ipv6(host)) {
            return Optional.empty();
        }
        if (host.startsWith("[") && host.endsWith("]") && ipv6(host.substring(1, host.length() - 1))) {
            return Optional.of("is an IPv6 address in brackets; write it without them ('%s')"
                    .formatted(host.substring(1, host.length() - 1)));
        }
        if (host.contains("%") && ipv6(host.substring(0, host.indexOf('%')))) {
            return Optional.of("names an interface after '%'; write an address that needs no interface, such as a"
                    + " unique local or global one");
        }
        if (host.contains(":")) {
            return Optional.of("is not an IPv6 address (eight groups of 1 to 4 hex digits, '::' once at most); write"
                    + " the host's address without a port");
        }
        if (host.endsWith(".")
                && host.length() > 1
                && why(host.substring(0, host.length() - 1)).isEmpty()) {
            return Optional.of(
                    "ends with '.'; write it without the dot ('%s')".formatted(host.substring(0, host.length() - 1)));
        }
        if (host.isEmpty() || host.length() > 253 || host.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
            return Optional.of(neither());
        }
        String[] labels = host.split("\\.", -1);
        if (labels.length <= 4
                && Arrays.stream(labels)
                        .allMatch(label -> NUMERIC_PART.matcher(label).matches())) {
            return Optional.of("is an IPv4 address in hex, octal or short form, which tools read differently; write"
                    + " it as four decimal numbers, such as 127.0.0.1");
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                return Optional.of(neither());
            }
        }
        return Optional.empty();
    }

    private static String neither() {
        return "is neither an IP address nor a host name (letters, digits and '-' in dot-separated labels of at"
                + " most 63); write the host's address";
    }

    /** An IPv6 address as RFC 4291 writes it: eight groups, or fewer around one '::', the last two maybe IPv4. */
    private static boolean ipv6(String text) {
        if (!text.contains(":")) {
            return false;
        }
        int gap = text.indexOf("::");
        if (gap < 0) {
            return groups(text, true) == 8;
        }
        if (text.indexOf("::", gap + 1) >= 0) {
            return false;
        }
        String tail = text.substring(gap + 2);
        int before = gap == 0 ? 0 : groups(text.substring(0, gap), false);
        int after = tail.isEmpty() ? 0 : groups(tail, true);
        return before >= 0 && after >= 0 && before + after <= 7;
    }

    /** The 16-bit groups of colon-separated text, an IPv4 address at its end counting two; -1 when malformed. */
    private static int groups(String text, boolean ipv4AtEnd) {
        String[] parts = text.split(":", -1);
        int groups = 0;
        for (int i = 0; i < parts.length; i++) {
            if (ipv4AtEnd && i == parts.length - 1 && IPV4.matcher(parts[i]).matches()) {
                groups += 2;
            } else if (HEXTET.matcher(parts[i]).matches()) {
                groups++;
            } else {
                return -1;
            }
        }
        return groups;
    }
}
