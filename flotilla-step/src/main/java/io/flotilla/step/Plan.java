package io.flotilla.step;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * An operation on a cluster compiled into steps. Printed by {@code --dry-run}, journaled while it
 * runs, and resumable: its {@link #fingerprint()} names the same plan across runs.
 */
public record Plan(OperationName operation, String cluster, List<Step> steps) {
    public Plan {
        requireNonNull(operation, "operation is null");
        requireNonNull(cluster, "cluster is null");
        steps = List.copyOf(steps);
        Set<String> ids = new HashSet<>();
        for (Step.Action action : actions(steps)) {
            if (!ids.add(action.id())) {
                throw new IllegalArgumentException(
                        "plan %s has two actions with id %s".formatted(operation, action.id()));
            }
        }
    }

    public static Builder builder(OperationName operation, String cluster) {
        return new Builder(operation, cluster);
    }

    /** Every action, depth first, in the order a serial run would take them. */
    public List<Step.Action> actions() {
        return actions(steps);
    }

    private static List<Step.Action> actions(List<Step> steps) {
        List<Step.Action> actions = new ArrayList<>();
        steps.forEach(step -> collect(step, actions));
        return actions;
    }

    private static void collect(Step step, List<Step.Action> actions) {
        switch (step) {
            case Step.Action action -> actions.add(action);
            case Step.Serial serial -> serial.steps().forEach(each -> collect(each, actions));
            case Step.Parallel parallel -> parallel.steps().forEach(each -> collect(each, actions));
        }
    }

    /** A hash of the operation and its action ids: equal for two compilations of the same work. */
    public String fingerprint() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((operation + "\n" + cluster + "\n").getBytes(StandardCharsets.UTF_8));
            for (Step.Action action : actions()) {
                digest.update((action.id() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The plan as an indented tree, one line per step, for {@code --dry-run}. */
    public String render() {
        StringBuilder text = new StringBuilder(
                "%s %s: %d steps\n".formatted(operation, cluster, actions().size()));
        steps.forEach(step -> render(step, 1, text));
        return text.toString();
    }

    private static void render(Step step, int depth, StringBuilder text) {
        String indent = "  ".repeat(depth);
        switch (step) {
            case Step.Action action ->
                text.append(indent).append("- ").append(action.title()).append('\n');
            case Step.Serial serial -> {
                text.append(indent).append(serial.title()).append('\n');
                serial.steps().forEach(each -> render(each, depth + 1, text));
            }
            case Step.Parallel parallel -> {
                text.append(indent).append(parallel.title()).append(" (in parallel)\n");
                parallel.steps().forEach(each -> render(each, depth + 1, text));
            }
        }
    }

    /** Appends steps in order. */
    public static final class Builder {
        private final OperationName operation;
        private final String cluster;
        private final List<Step> steps = new ArrayList<>();

        private Builder(OperationName operation, String cluster) {
            this.operation = operation;
            this.cluster = cluster;
        }

        public Builder then(Step step) {
            steps.add(step);
            return this;
        }

        public Builder thenAll(List<? extends Step> more) {
            steps.addAll(more);
            return this;
        }

        public Plan build() {
            return new Plan(operation, cluster, steps);
        }
    }
}
