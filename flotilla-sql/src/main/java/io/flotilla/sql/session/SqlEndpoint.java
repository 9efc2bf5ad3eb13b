package io.flotilla.sql.session;

import static java.util.Objects.requireNonNull;

import io.flotilla.exec.LocalExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where a cluster's SQL endpoint listens and which process serves it, recorded in the cluster's
 * folder while it runs, so that {@code cluster display} can show it only while it is up.
 */
public record SqlEndpoint(String address, long pid) {
    public static final String FILE = "sql-endpoint.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public SqlEndpoint {
        requireNonNull(address, "address is null");
    }

    public void write(Path clusterDir) {
        try {
            LocalExecutor.writeAtomically(
                    clusterDir.resolve(FILE), JSON.writeValueAsString(this).getBytes(StandardCharsets.UTF_8), "0644");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the SQL endpoint in " + clusterDir, e);
        }
    }

    /** The recorded endpoint when the process that serves it is still alive. */
    public static Optional<SqlEndpoint> running(Path clusterDir) {
        Path file = clusterDir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            SqlEndpoint endpoint = JSON.readValue(Files.readString(file), SqlEndpoint.class);
            return ProcessHandle.of(endpoint.pid())
                    .filter(ProcessHandle::isAlive)
                    .map(ignored -> endpoint);
        } catch (IOException | RuntimeException ignored) {
            return Optional.empty();
        }
    }

    /** Removes the record if it is this process's. */
    public static void remove(Path clusterDir) {
        running(clusterDir)
                .filter(endpoint -> endpoint.pid() == ProcessHandle.current().pid())
                .ifPresent(endpoint -> {
                    try {
                        Files.deleteIfExists(clusterDir.resolve(FILE));
                    } catch (IOException ignored) {
                        // A stale record names a dead process, which running() ignores.
                    }
                });
    }
}
