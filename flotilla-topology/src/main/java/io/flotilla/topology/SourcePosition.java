package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

/** A place in a topology file, printed the way compilers do: {@code topology.yaml:14:5}. */
public record SourcePosition(String file, int line, int column) {
    public SourcePosition {
        requireNonNull(file, "file is null");
    }

    @Override
    public String toString() {
        return "%s:%d:%d".formatted(file, line, column);
    }
}
