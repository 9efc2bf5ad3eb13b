package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The problems found while reading one topology file; reading goes on after each of them.
 *
 * <p>Admission problems are those of the rules that guard new input (hosts, control characters,
 * system folders, server ids): a file given to deploy, scale-out or check is refused for them like
 * for any other, but a cluster's stored topology, written before a rule existed, is still read, so
 * that it can be displayed, stopped and destroyed; {@code cluster check} lists them.
 */
final class Problems {
    private final String file;
    /** A set: reading the same value twice must not report its problem twice. */
    private final Set<Problem> problems = new LinkedHashSet<>();

    private final Set<Problem> admission = new LinkedHashSet<>();

    Problems(String file) {
        this.file = requireNonNull(file, "file is null");
    }

    SourcePosition start() {
        return new SourcePosition(file, 1, 1);
    }

    SourcePosition at(Node node) {
        return at(node.getStartMark());
    }

    /** YAML marks count from 0; people count lines and columns from 1. */
    SourcePosition at(Optional<Mark> mark) {
        return mark.map(m -> new SourcePosition(file, m.getLine() + 1, m.getColumn() + 1))
                .orElseGet(this::start);
    }

    void add(SourcePosition position, String message) {
        add(position, message, List.of());
    }

    void add(SourcePosition position, String message, List<String> instances) {
        problems.add(new Problem(position, message, instances));
    }

    void addAll(List<Problem> found) {
        problems.addAll(found);
    }

    /** A problem of a rule that guards new input; see the class's comment. */
    void admission(SourcePosition position, String message) {
        admission(new Problem(position, message, List.of()));
    }

    void admission(Problem problem) {
        admission.add(problem);
    }

    /** The admission problems, in file order. */
    List<Problem> admissionSorted() {
        return admission.stream().sorted(IN_FILE_ORDER).toList();
    }

    int count() {
        return problems.size();
    }

    /** In file order, so that a long list reads top to bottom. */
    List<Problem> sorted() {
        return problems.stream().sorted(IN_FILE_ORDER).toList();
    }

    static final Comparator<Problem> IN_FILE_ORDER = Comparator.comparingInt(
                    (Problem problem) -> problem.position().line())
            .thenComparingInt(problem -> problem.position().column());
}
