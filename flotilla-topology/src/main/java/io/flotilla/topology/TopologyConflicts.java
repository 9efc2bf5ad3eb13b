package io.flotilla.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a topology against the other clusters managed from the same control machine: two
 * clusters must not share a port or a directory on a host. Each check is a hash lookup, so the
 * cost grows with the number of instances, not with their pairs.
 */
public final class TopologyConflicts {
    private TopologyConflicts() {}

    /**
     * Every port and directory of {@code candidate} that another cluster already uses on the same
     * host, positioned at the candidate's instance.
     *
     * @param otherClusters the other clusters by name; the candidate's own entry must not be among them
     */
    public static List<Problem> between(Topology candidate, Map<String, Topology> otherClusters) {
        Map<String, Taken<PortClaim>> ports = new HashMap<>();
        Map<String, Taken<DirClaim>> dirs = new HashMap<>();
        otherClusters.forEach((cluster, topology) -> {
            for (Instance instance : topology.instances()) {
                PortClaim.of(instance).forEach(claim -> ports.putIfAbsent(claim.key(), new Taken<>(cluster, claim)));
                DirClaim.of(instance).forEach(claim -> dirs.putIfAbsent(claim.key(), new Taken<>(cluster, claim)));
            }
        });
        List<Problem> problems = new ArrayList<>();
        Set<List<Object>> reportedDirs = new HashSet<>();
        for (Instance instance : candidate.instances()) {
            for (PortClaim claim : PortClaim.of(instance)) {
                Taken<PortClaim> taken = ports.get(claim.key());
                if (taken != null) {
                    problems.add(conflict("port", claim.port(), claim, taken));
                }
            }
            for (DirClaim claim : DirClaim.of(instance)) {
                Taken<DirClaim> taken = dirs.get(claim.key());
                // the two exporters of a host share their directories: one report is enough
                if (taken != null && reportedDirs.add(List.of(claim.holder(), claim.key()))) {
                    problems.add(conflict("directory", claim.dir(), claim, taken));
                }
            }
        }
        return problems.stream().sorted(Problems.IN_FILE_ORDER).toList();
    }

    /** The candidate's {@code claim} of a port or directory ({@code value}) that another cluster has {@code taken}. */
    private static Problem conflict(String what, Object value, Claim claim, Taken<?> taken) {
        Instance instance = claim.instance();
        return new Problem(
                instance.position(),
                "%s conflict for '%s' with cluster '%s': '%s' (%s) is already used by '%s' (%s) of cluster '%s'; choose another %s or host"
                        .formatted(
                                what,
                                value,
                                taken.cluster(),
                                claim.label(),
                                TopologyValidator.ownerAndLine(instance),
                                taken.claim().label(),
                                taken.claim().owner(),
                                taken.cluster(),
                                what),
                List.of(instance.id()));
    }

    private record Taken<C extends Claim>(String cluster, C claim) {}
}
