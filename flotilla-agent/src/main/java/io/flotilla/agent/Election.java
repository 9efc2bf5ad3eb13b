package io.flotilla.agent;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.GtidSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Who takes a replication group's leader key once it is free: the rule every replica's agent
 * applies to what the group's members published, so that they agree without asking each other.
 *
 * <p>The candidate is a healthy replica that may be promoted and whose received position covers
 * what every reporting member received (it will apply its relay log before it takes writes); ties
 * go to the higher priority, then the lower id. With semi-sync, a transaction the primary
 * acknowledged reached at least one replica, so a promotion waits while any replica of the group
 * does not report: it may be the one that has it. With async replication the reporting members
 * decide, and what the old primary had not sent is lost.
 */
final class Election {
    enum Durability {
        SEMI_SYNC,
        ASYNC
    }

    /** What a member published: its health, whether it may be promoted, and what it received and applied. */
    record Member(String id, boolean healthy, boolean promotable, int priority, GtidSet received, GtidSet applied) {
        Member {
            requireNonNull(id, "id is null");
            requireNonNull(received, "received is null");
            requireNonNull(applied, "applied is null");
        }
    }

    sealed interface Decision {
        String why();
    }

    record Promote(String id, String why) implements Decision {}

    record Wait(String why) implements Decision {}

    private Election() {}

    /**
     * @param replicas the group's replicas as the topology has them (the old primary is not one)
     * @param reporting what those that report published; members not in {@code replicas} are ignored
     */
    static Decision elect(Set<String> replicas, List<Member> reporting, Durability durability) {
        Map<String, Member> byId = reporting.stream()
                .filter(member -> replicas.contains(member.id()))
                .collect(Collectors.toMap(Member::id, Function.identity(), (first, second) -> first));
        Set<String> silent = new TreeSet<>(replicas);
        silent.removeAll(byId.keySet());
        if (durability == Durability.SEMI_SYNC && !silent.isEmpty()) {
            return new Wait("%s of the group do%s not report; with semi-sync %s may hold the last acknowledged"
                            .formatted(String.join(", ", silent), silent.size() == 1 ? "es" : "", them(silent))
                    + " write, so no replica is promoted until it reports (or `flotilla cluster failover"
                    + " --accept-data-loss`)");
        }
        if (byId.isEmpty()) {
            return new Wait("no replica of the group reports");
        }
        List<Member> candidates = byId.values().stream()
                .filter(Member::healthy)
                .filter(Member::promotable)
                .filter(member -> byId.values().stream()
                        .allMatch(other -> member.received().covers(other.received())))
                .sorted(Comparator.comparingInt(Member::priority).reversed().thenComparing(Member::id))
                .toList();
        if (!candidates.isEmpty()) {
            Member chosen = candidates.getFirst();
            return new Promote(
                    chosen.id(),
                    "%s received the most (%s)%s"
                            .formatted(
                                    chosen.id(),
                                    chosen.received().isEmpty() ? "nothing yet" : chosen.received(),
                                    candidates.size() == 1
                                            ? ""
                                            : "; tied with " + others(candidates)
                                                    + ", it comes first by priority, then id"));
        }
        return new Wait(whyNone(byId));
    }

    private static String whyNone(Map<String, Member> byId) {
        List<String> reasons = new ArrayList<>();
        for (Member member : byId.values()) {
            if (!member.healthy()) {
                reasons.add(member.id() + " is not healthy");
            } else if (!member.promotable()) {
                reasons.add(member.id() + " may not be promoted (ha.no_promotion)");
            } else {
                List<String> lacks = byId.values().stream()
                        .filter(other -> !member.received().covers(other.received()))
                        .map(other -> "%s (%s)"
                                .formatted(
                                        other.id(),
                                        other.received().beyond(member.received()).stream()
                                                .map(GtidSet.Gtid::toString)
                                                .collect(Collectors.joining(","))))
                        .toList();
                reasons.add("%s lacks what %s received".formatted(member.id(), String.join(", ", lacks)));
            }
        }
        reasons.sort(null);
        return "no replica may take the lead: " + String.join("; ", reasons);
    }

    private static String others(List<Member> candidates) {
        return candidates.stream().skip(1).map(Member::id).collect(Collectors.joining(", "));
    }

    private static String them(Set<String> silent) {
        return silent.size() == 1 ? "it" : "they";
    }
}
