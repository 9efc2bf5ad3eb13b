package io.flotilla.topology;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a TiUP-compatible topology file into a {@link Topology}. A file with problems is refused
 * with a {@link TopologyException} that lists every one of them with its {@code file:line:column},
 * never only the first.
 */
public final class TopologyParser {
    private TopologyParser() {}

    public static Topology parse(Path file) {
        String yaml;
        try {
            yaml = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read topology file %s: %s".formatted(file, e.getMessage()), e);
        }
        return parse(yaml, file.toString());
    }

    /** @param fileName how positions name the file in problems, such as {@code topology.yaml} */
    public static Topology parse(String yaml, String fileName) {
        return new TopologyReader(fileName).read(yaml);
    }

    /**
     * A cluster's stored topology, which an earlier Flotilla accepted: refused for what makes it
     * unreadable, but a value that only a rule added since refuses (a host name with '_', a system
     * folder, a control character, a server_id out of range or taken twice) is kept in {@link
     * Topology#admissionProblems()}, so that the cluster can still be displayed, stopped and destroyed.
     */
    public static Topology parseStored(String yaml, String fileName) {
        return new TopologyReader(fileName, false, true).read(yaml);
    }
}
