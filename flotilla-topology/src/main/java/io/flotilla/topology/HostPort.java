package io.flotilla.topology;

/**
 * A host joined to a port, as URLs (RFC 3986) and every engine's {@code host:port} parser read
 * it: an IPv6 address in brackets, so that its colons are not taken for the port's.
 */
public final class HostPort {
    private HostPort() {}

    /** {@code host:port}, an IPv6 host in brackets: {@code 10.0.0.1:9100}, {@code [fd00::1]:9100}. */
    public static String of(String host, int port) {
        return literal(host) + ":" + port;
    }

    /** The host as a URL writes it: an IPv6 address in brackets, a name or an IPv4 address as it is. */
    public static String literal(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
