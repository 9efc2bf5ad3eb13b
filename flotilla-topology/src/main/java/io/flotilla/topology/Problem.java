package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** One thing wrong with a topology, where it is, and the instances it involves. */
public record Problem(SourcePosition position, String message, List<String> instances) {
    public Problem {
        requireNonNull(position, "position is null");
        requireNonNull(message, "message is null");
        instances = List.copyOf(instances);
    }

    @Override
    public String toString() {
        return position + ": " + message;
    }
}
