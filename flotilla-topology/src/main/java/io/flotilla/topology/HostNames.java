package io.flotilla.topology;

import java.util.regex.Pattern;

/** What a topology may name a host by: an IPv4 or IPv6 address, or a host name as RFC 1123 has it. */
final class HostNames {
    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private HostNames() {}

    /** Whether the host is written as an address, not a name. */
    static boolean address(String host) {
        return IPV4.matcher(host).matches() || (valid(host) && host.contains(":"));
    }

    static boolean valid(String host) {
        if (IPV4.matcher(host).matches()) {
            return true;
        }
        if (host.contains(":")) {
            return host.chars().filter(c -> c == ':').count() >= 2
                    && IPV6.matcher(host).matches();
        }
        if (host.isEmpty() || host.length() > 253 || host.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
            return false;
        }
        for (String label : host.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
