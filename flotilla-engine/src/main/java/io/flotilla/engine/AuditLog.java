package io.flotilla.engine;

import io.flotilla.exec.LocalExecutor;
import io.flotilla.exec.LocalFiles;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Every operation of the control machine, appended as it begins and as it ends, kept under
 * {@code $FLOTILLA_HOME/audit} so that it outlives the clusters it speaks of. The journal of each
 * finished operation is copied beside it.
 */
public final class AuditLog {
    private final Path directory;

    public AuditLog(Path directory) {
        this.directory = directory;
    }

    /** One operation as the audit log knows it; {@code result} is empty while it runs or after it was killed. */
    public record Entry(
            String id, String cluster, String command, String started, String ended, String result, String error) {}

    public void begin(String id, String cluster, String command, String started) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "begin");
        line.put("id", id);
        line.put("cluster", cluster);
        line.put("command", command);
        line.put("time", started);
        append(line);
    }

    public void end(String id, String ended, boolean succeeded, String error, Path journal) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "end");
        line.put("id", id);
        line.put("time", ended);
        line.put("result", succeeded ? "ok" : "failed");
        if (error != null) {
            line.put("error", error);
        }
        append(line);
        if (journal != null && Files.exists(journal)) {
            try {
                LocalExecutor.writeAtomically(
                        directory.resolve(id + ".journal.jsonl"), Files.readAllBytes(journal), "0600");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot keep the journal of " + id, e);
            }
        }
    }

    public List<Entry> entries() {
        Path file = directory.resolve("audit.log");
        if (!Files.exists(file)) {
            return List.of();
        }
        Map<String, Entry> byId = new LinkedHashMap<>();
        try {
            for (JsonNode line : Journal.events(file)) {
                String id = line.path("id").asString("");
                if (line.path("event").asString("").equals("begin")) {
                    byId.put(
                            id,
                            new Entry(
                                    id,
                                    line.path("cluster").asString(""),
                                    line.path("command").asString(""),
                                    line.path("time").asString(""),
                                    "",
                                    "",
                                    ""));
                } else {
                    Entry begun = byId.get(id);
                    if (begun != null) {
                        byId.put(
                                id,
                                new Entry(
                                        id,
                                        begun.cluster(),
                                        begun.command(),
                                        begun.started(),
                                        line.path("time").asString(""),
                                        line.path("result").asString(""),
                                        line.path("error").asString("")));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit log " + file, e);
        }
        return new ArrayList<>(byId.values());
    }

    /** The journal kept for an operation, when it has ended. */
    public Path journal(String id) {
        return directory.resolve(id + ".journal.jsonl");
    }

    private synchronized void append(Map<String, Object> line) {
        try {
            Files.createDirectories(directory);
            Path file = directory.resolve("audit.log");
            try (FileOutputStream stream = LocalFiles.append(file, "0600")) {
                Journal.endTornLine(file, stream);
                stream.write((Json.MAPPER.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
                stream.getFD().sync();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the audit log in " + directory, e);
        }
    }
}
