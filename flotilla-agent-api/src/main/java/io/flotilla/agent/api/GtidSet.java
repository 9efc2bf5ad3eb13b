package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A MariaDB GTID position ({@code @@gtid_current_pos}, {@code Gtid_IO_Pos}, ...): the last GTID of
 * each replication domain, {@code DOMAIN-SERVER-SEQUENCE} comma separated. With {@code
 * gtid_strict_mode} a domain's sequence numbers only grow, whichever server wrote them, so one
 * position is at or past another when it is, domain by domain.
 */
public record GtidSet(Map<Long, Gtid> byDomain) {
    /** One domain's last transaction. */
    public record Gtid(long domain, long server, long sequence) {
        @Override
        public String toString() {
            return Long.toUnsignedString(domain) + "-" + Long.toUnsignedString(server) + "-"
                    + Long.toUnsignedString(sequence);
        }
    }

    public static final GtidSet EMPTY = new GtidSet(Map.of());

    public GtidSet {
        byDomain = Collections.unmodifiableMap(new TreeMap<>(requireNonNull(byDomain, "byDomain is null")));
    }

    /** Reads a position as the server prints it; empty text is the empty position. */
    public static GtidSet parse(String text) {
        requireNonNull(text, "text is null");
        Map<Long, Gtid> byDomain = new TreeMap<>();
        if (text.isBlank()) {
            return EMPTY;
        }
        for (String part : text.split(",")) {
            String gtid = part.strip();
            String[] numbers = gtid.split("-", -1);
            if (numbers.length != 3) {
                throw new IllegalArgumentException(
                        "'%s' is not a GTID position (DOMAIN-SERVER-SEQUENCE, comma-separated)".formatted(text));
            }
            Gtid parsed;
            try {
                parsed = new Gtid(
                        Long.parseUnsignedLong(numbers[0]),
                        Long.parseUnsignedLong(numbers[1]),
                        Long.parseUnsignedLong(numbers[2]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "'%s' is not a GTID position (DOMAIN-SERVER-SEQUENCE, comma-separated)".formatted(text));
            }
            if (byDomain.put(parsed.domain(), parsed) != null) {
                throw new IllegalArgumentException("'%s' names domain %d twice".formatted(text, parsed.domain()));
            }
        }
        return new GtidSet(byDomain);
    }

    /**
     * Whether this position is at or past {@code other} in every domain {@code other} has (and where
     * it is at the same sequence number, at the same GTID).
     */
    public boolean covers(GtidSet other) {
        return beyond(other, this).isEmpty();
    }

    /** The last GTIDs of the domains where this position is past {@code other}: what {@code other} lacks. */
    public List<Gtid> beyond(GtidSet other) {
        return beyond(this, other);
    }

    private static List<Gtid> beyond(GtidSet ahead, GtidSet behind) {
        List<Gtid> past = new ArrayList<>();
        for (Gtid gtid : ahead.byDomain.values()) {
            Gtid there = behind.byDomain.get(gtid.domain());
            int order = there == null ? 1 : Long.compareUnsigned(gtid.sequence(), there.sequence());
            // The same sequence number from another server is another history: not covered either.
            if (order > 0 || (order == 0 && gtid.server() != there.server())) {
                past.add(gtid);
            }
        }
        return past;
    }

    /** Domain by domain, the later of this position and {@code other} (this one's GTID where they are at the same number). */
    public GtidSet union(GtidSet other) {
        Map<Long, Gtid> later = new TreeMap<>(byDomain);
        for (Gtid gtid : other.byDomain.values()) {
            later.merge(
                    gtid.domain(),
                    gtid,
                    (mine, theirs) -> Long.compareUnsigned(theirs.sequence(), mine.sequence()) > 0 ? theirs : mine);
        }
        return new GtidSet(later);
    }

    public boolean isEmpty() {
        return byDomain.isEmpty();
    }

    /** As the server writes it, domains in order. */
    @Override
    public String toString() {
        return byDomain.values().stream().map(Gtid::toString).collect(Collectors.joining(","));
    }
}
