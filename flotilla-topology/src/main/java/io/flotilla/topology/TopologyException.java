package io.flotilla.topology;

import java.util.List;
import java.util.stream.Collectors;

/** A topology that cannot be used, with every problem found in it. */
public final class TopologyException extends RuntimeException {
    private final List<Problem> problems;

    public TopologyException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
