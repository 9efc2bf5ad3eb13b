package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * A one-time initialisation of an instance's data, run at deploy before the first start.
 *
 * @param dataDir the directory the bootstrap fills; emptied first when an earlier bootstrap did not finish
 * @param marker a file written once the bootstrap succeeded; its presence skips the bootstrap
 * @param command the program and arguments to run
 * @param secretFiles files written (mode 0600) just for the bootstrap and removed after it, path to content
 */
public record Bootstrap(String dataDir, String marker, List<String> command, Map<String, String> secretFiles) {
    public Bootstrap {
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(marker, "marker is null");
        command = List.copyOf(command);
        secretFiles = Map.copyOf(secretFiles);
    }

    @Override
    public String toString() {
        return "Bootstrap[marker=%s, command=%s]".formatted(marker, command);
    }
}
