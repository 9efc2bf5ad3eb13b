package io.flotilla.plan;

import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.Instance;
import io.flotilla.topology.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which instances an operation touches: {@code -R role} (a component such as {@code mariadb}) and
 * {@code -N host:port}; both empty means the whole cluster.
 */
public record Selection(Set<String> roles, Set<String> nodes) {
    public static final Selection ALL = new Selection(Set.of(), Set.of());

    public Selection {
        roles = Set.copyOf(roles);
        nodes = Set.copyOf(nodes);
    }

    public boolean isAll() {
        return roles.isEmpty() && nodes.isEmpty();
    }

    public boolean matches(Instance instance) {
        return (roles.isEmpty() || roles.contains(instance.component()))
                && (nodes.isEmpty() || nodes.contains(instance.id()));
    }

    /** Refuses roles and nodes the topology does not have, naming the ones it has. */
    public void check(Topology topology) {
        Set<String> knownRoles = new TreeSet<>();
        Set<String> knownNodes = new TreeSet<>();
        topology.instances().forEach(instance -> {
            knownRoles.add(instance.component());
            knownNodes.add(instance.id());
        });
        List<String> problems = new ArrayList<>();
        roles.stream()
                .filter(role -> !knownRoles.contains(role))
                .sorted()
                .forEach(role -> problems.add("role '%s' is not in the cluster; its roles are %s"
                        .formatted(role, String.join(", ", knownRoles))));
        nodes.stream()
                .filter(node -> !knownNodes.contains(node))
                .sorted()
                .forEach(node -> problems.add("node '%s' is not in the cluster; its nodes are %s"
                        .formatted(node, String.join(", ", knownNodes))));
        if (!problems.isEmpty()) {
            throw new OperationException(ErrorCode.BAD_SELECTION, String.join("\n", problems));
        }
    }
}
