package io.flotilla.engine;

import static java.util.Objects.requireNonNull;

import io.flotilla.exec.LocalFiles;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The step states of one operation, appended to a file and forced to disk as they change. An
 * operation that did not end (a crash, {@code kill -9}, a failure) is resumed by the next run
 * of the same plan: the steps it finished are not run again.
 */
public final class Journal implements AutoCloseable {
    private final Path file;
    private final String operationId;
    private final Set<String> done = Collections.synchronizedSet(new HashSet<>());
    private final Set<String> resumedDone;
    private final String resumedFrom;
    /** A stream, not a channel: an interrupted step must not close the journal (channels close on interrupt). */
    private final FileOutputStream stream;

    private Journal(Path file, String operationId, Set<String> resumedDone, String resumedFrom) throws IOException {
        this.file = file;
        this.operationId = operationId;
        this.resumedDone = Set.copyOf(resumedDone);
        this.resumedFrom = resumedFrom;
        this.done.addAll(resumedDone);
        this.stream = LocalFiles.append(file, "0600");
        endTornLine(file, stream);
    }

    /**
     * Ends a line a crash cut short, so that the next event is a line of its own rather than the
     * end of that broken one (which a reader skips, and the event with it).
     */
    static void endTornLine(Path file, FileOutputStream stream) throws IOException {
        long size = Files.size(file);
        if (size == 0) {
            return;
        }
        try (FileChannel read = FileChannel.open(file)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            read.read(last, size - 1);
            if (last.get(0) != '\n') {
                stream.write('\n');
            }
        }
    }

    /**
     * Opens the journal of a cluster for a plan. When the cluster's last operation is the same
     * plan and did not end well, it is resumed; otherwise it is archived and a new one begins.
     */
    public static Journal open(
            Path directory, String operationId, String operation, String fingerprint, String command) {
        requireNonNull(operationId, "operationId is null");
        try {
            Files.createDirectories(directory);
            Path current = directory.resolve("current.jsonl");
            if (Files.exists(current)) {
                Previous previous = Previous.read(current);
                if (previous.fingerprint().equals(fingerprint) && !previous.succeeded()) {
                    Journal journal =
                            new Journal(current, previous.operationId(), previous.done(), previous.operationId());
                    journal.append(event(
                            "resume",
                            Map.of("pid", ProcessHandle.current().pid(), "command", command, "by", operationId)));
                    return journal;
                }
                Files.move(
                        current,
                        directory.resolve(previous.operationId() + ".jsonl"),
                        StandardCopyOption.REPLACE_EXISTING);
            }
            Journal journal = new Journal(current, operationId, Set.of(), null);
            journal.append(event(
                    "begin",
                    Map.of(
                            "operation",
                            operation,
                            "fingerprint",
                            fingerprint,
                            "id",
                            operationId,
                            "pid",
                            ProcessHandle.current().pid(),
                            "command",
                            command)));
            return journal;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the journal in " + directory, e);
        }
    }

    /** The id of the operation this journal belongs to: a resumed journal keeps its first id. */
    public String operationId() {
        return operationId;
    }

    public boolean resumed() {
        return resumedFrom != null;
    }

    /** How many steps the resumed run had already finished. */
    public int resumedSteps() {
        return resumedDone.size();
    }

    public Path file() {
        return file;
    }

    boolean isDone(String stepId) {
        return done.contains(stepId);
    }

    void started(String stepId) {
        append(event("started", Map.of("step", stepId)));
    }

    void done(String stepId) {
        done.add(stepId);
        append(event("done", Map.of("step", stepId)));
    }

    void failed(String stepId, String error) {
        append(event("failed", Map.of("step", stepId, "error", error)));
    }

    public void end(boolean succeeded, String error) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("result", succeeded ? "ok" : "failed");
        if (error != null) {
            fields.put("error", error);
        }
        append(event("end", fields));
    }

    private static Map<String, Object> event(String kind, Map<String, ?> fields) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("event", kind);
        event.put("time", Instant.now().toString());
        event.putAll(fields);
        return event;
    }

    private synchronized void append(Map<String, Object> event) {
        try {
            byte[] line = (Json.MAPPER.writeValueAsString(event) + "\n").getBytes(StandardCharsets.UTF_8);
            stream.write(line);
            stream.getFD().sync();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the journal " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            stream.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the journal " + file, e);
        }
    }

    /**
     * Reads every event of a journal file, skipping a torn line; a character a crash cut in two
     * reads as U+FFFD instead of failing the whole file.
     */
    public static List<JsonNode> events(Path file) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (String line : new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                events.add(Json.MAPPER.readTree(line));
            } catch (RuntimeException ignored) {
                // A line cut by a crash mid-write: the event did not happen as far as we know.
            }
        }
        return events;
    }

    private record Previous(String operationId, String fingerprint, Set<String> done, boolean succeeded) {
        static Previous read(Path file) throws IOException {
            String operationId = "unknown";
            String fingerprint = "";
            Set<String> done = new HashSet<>();
            boolean succeeded = false;
            for (JsonNode event : events(file)) {
                switch (event.path("event").asString("")) {
                    case "begin" -> {
                        operationId = event.path("id").asString("unknown");
                        fingerprint = event.path("fingerprint").asString("");
                    }
                    case "done" -> done.add(event.path("step").asString(""));
                    case "end" -> succeeded = "ok".equals(event.path("result").asString(""));
                    default -> {}
                }
            }
            return new Previous(operationId, fingerprint, done, succeeded);
        }
    }
}
