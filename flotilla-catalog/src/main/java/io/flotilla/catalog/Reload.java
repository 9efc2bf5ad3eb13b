package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import io.flotilla.topology.Instance;
import java.util.List;
import java.util.function.Function;

/**
 * How a running instance re-reads its configuration files without a restart, and how the control
 * machine sees that it did: a signal, then a page of the instance that lists what it has loaded.
 *
 * @param signal the signal's name, as {@code kill -NAME} takes it
 * @param portField the instance's port that serves the page
 * @param path the page's path
 * @param markers the texts on the page exactly when the loaded configuration includes an instance
 */
public record Reload(String signal, String portField, String path, Function<Instance, List<String>> markers) {
    public Reload {
        requireNonNull(signal, "signal is null");
        requireNonNull(portField, "portField is null");
        requireNonNull(path, "path is null");
        requireNonNull(markers, "markers is null");
    }

    /** The page of {@code instance} that shows what it has loaded. */
    public String loadedUrl(Instance instance) {
        return "http://" + instance.address(portField) + path;
    }

    /** The texts on that page exactly when the loaded configuration includes {@code other}. */
    public List<String> markers(Instance other) {
        return markers.apply(other);
    }
}
