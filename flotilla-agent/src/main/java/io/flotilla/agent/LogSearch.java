package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.LogEntry;
import io.flotilla.agent.api.LogQuery;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Searches the logs of the instances an agent supervises. It reads the formats of the components
 * Flotilla runs: MariaDB's error log ({@code 2026-11-22  1:02:03 0 [Note] ...}), ISO-timestamped lines
 * ({@code 2026-11-22T01:02:03.123+0000 INFO ...}, the agent's own), JSON lines ({@code {"level":
 * "info","ts":"..."}}, etcd) and logfmt ({@code time=... level=... msg=...}, Prometheus). A line
 * without a time of its own belongs to the entry before it.
 */
public final class LogSearch {
    private static final Pattern MARIADB =
            Pattern.compile("^(\\d{4}-\\d{2}-\\d{2})\\s+(\\d{1,2}:\\d{2}:\\d{2})\\s+\\d+\\s+\\[(\\w+)\\]\\s?(.*)$");
    private static final Pattern ISO = Pattern.compile(
            "^\\[?(\\d{4}-\\d{2}-\\d{2})[T ](\\d{2}:\\d{2}:\\d{2}(?:[.,]\\d{1,9})?)(Z|[+-]\\d{2}:?\\d{2})?\\]?\\s*(.*)$");
    private static final Pattern JSON_FIELD =
            Pattern.compile("\"(level|ts|time|msg|message)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern LOGFMT_FIELD =
            Pattern.compile("(?:^|\\s)(level|ts|time|msg)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S+)");
    private static final Pattern LEVEL_WORD = Pattern.compile(
            "^\\[?(TRACE|DEBUG|FINE|FINER|FINEST|CONFIG|INFO|NOTE|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|FATAL|CRITICAL|PANIC|ALERT|EMERG)\\]?[:\\s]",
            Pattern.CASE_INSENSITIVE);

    private final Supervisor supervisor;
    private final ZoneId zone;

    public LogSearch(Supervisor supervisor, ZoneId zone) {
        this.supervisor = supervisor;
        this.zone = zone;
    }

    /** The entries of the query's instances in its time range, in time order, at most its limit. */
    public List<LogEntry> search(LogQuery query) {
        Pattern pattern;
        try {
            pattern = query.pattern().isEmpty() ? null : Pattern.compile(query.pattern());
        } catch (PatternSyntaxException e) {
            throw new AgentException(
                    AgentException.Code.BAD_REQUEST,
                    "message pattern %s is not a regular expression: %s"
                            .formatted(query.pattern(), e.getDescription()));
        }
        List<String> levels =
                query.levels().stream().map(LogSearch::normalizeLevel).toList();
        List<InstanceSpec> specs = new ArrayList<>();
        if (query.instances().isEmpty()) {
            supervisor.statuses().forEach(status -> specs.add(supervisor.spec(status.id())));
        } else {
            query.instances().forEach(id -> specs.add(supervisor.spec(id)));
        }
        List<LogEntry> found = new ArrayList<>();
        for (InstanceSpec spec : specs) {
            for (String file : spec.allLogFiles()) {
                Path path = Path.of(spec.workDir()).resolve(file);
                found.addAll(searchFile(path, spec, query, levels, pattern));
            }
        }
        found.sort(Comparator.comparing(LogEntry::time));
        return found.size() > query.limit() ? List.copyOf(found.subList(0, query.limit())) : List.copyOf(found);
    }

    private List<LogEntry> searchFile(
            Path file, InstanceSpec spec, LogQuery query, List<String> levels, Pattern pattern) {
        List<LogEntry> entries = new ArrayList<>();
        try {
            // A file last written before the range starts holds nothing in it.
            if (Files.getLastModifiedTime(file).toInstant().isBefore(query.start())) {
                return entries;
            }
            var decoder = UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE);
            try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
                Parsed current = null;
                String line;
                while ((line = reader.readLine()) != null) {
                    Optional<Parsed> parsed = parse(line);
                    if (parsed.isPresent()) {
                        if (current != null && keep(current, query, levels, pattern)) {
                            entries.add(entry(current, spec));
                            if (entries.size() >= query.limit()) {
                                return entries;
                            }
                        }
                        current = parsed.get();
                        if (current.time.isAfter(query.end())) {
                            return entries;
                        }
                    } else if (current != null && current.message.length() < 64 * 1024) {
                        current = new Parsed(current.time, current.level, current.message + "\n" + line);
                    }
                }
                if (current != null && keep(current, query, levels, pattern)) {
                    entries.add(entry(current, spec));
                }
            }
        } catch (NoSuchFileException ignored) {
            // An instance that never started has no log yet.
        } catch (IOException e) {
            throw new AgentException(
                    AgentException.Code.INTERNAL, "cannot read log %s of %s: %s".formatted(file, spec.id(), e));
        }
        return entries;
    }

    private static boolean keep(Parsed parsed, LogQuery query, List<String> levels, Pattern pattern) {
        return !parsed.time.isBefore(query.start())
                && !parsed.time.isAfter(query.end())
                && (levels.isEmpty() || levels.contains(parsed.level))
                && (pattern == null || pattern.matcher(parsed.message).find());
    }

    private static LogEntry entry(Parsed parsed, InstanceSpec spec) {
        return new LogEntry(parsed.time, spec.id(), spec.component(), parsed.level, parsed.message);
    }

    /** One line as the start of an entry, when it carries a time. */
    Optional<Parsed> parse(String line) {
        try {
            Matcher mariadb = MARIADB.matcher(line);
            if (mariadb.matches()) {
                LocalDateTime time = LocalDate.parse(mariadb.group(1)).atTime(LocalTime.parse(pad(mariadb.group(2))));
                return Optional.of(
                        new Parsed(time.atZone(zone).toInstant(), normalizeLevel(mariadb.group(3)), mariadb.group(4)));
            }
            if (line.startsWith("{")) {
                String level = "INFO";
                String time = null;
                String message = line;
                Matcher field = JSON_FIELD.matcher(line);
                while (field.find()) {
                    switch (field.group(1)) {
                        case "level" -> level = field.group(2);
                        case "ts", "time" -> time = field.group(2);
                        default -> message = field.group(2).replace("\\\"", "\"");
                    }
                }
                return time == null
                        ? Optional.empty()
                        : Optional.of(
                                new Parsed(OffsetDateTime.parse(time).toInstant(), normalizeLevel(level), message));
            }
            if (line.startsWith("ts=") || line.startsWith("time=")) {
                String level = "INFO";
                String time = null;
                String message = line;
                Matcher field = LOGFMT_FIELD.matcher(line);
                while (field.find()) {
                    String value = field.group(2);
                    if (value.startsWith("\"") && value.endsWith("\"") && value.length() >= 2) {
                        value = value.substring(1, value.length() - 1).replace("\\\"", "\"");
                    }
                    switch (field.group(1)) {
                        case "level" -> level = value;
                        case "ts", "time" -> time = value;
                        default -> message = value;
                    }
                }
                return time == null
                        ? Optional.empty()
                        : Optional.of(
                                new Parsed(OffsetDateTime.parse(time).toInstant(), normalizeLevel(level), message));
            }
            Matcher iso = ISO.matcher(line);
            if (iso.matches()) {
                LocalDateTime local = LocalDate.parse(iso.group(1))
                        .atTime(LocalTime.parse(iso.group(2).replace(',', '.')));
                Instant time = iso.group(3) == null
                        ? local.atZone(zone).toInstant()
                        : local.atOffset(java.time.ZoneOffset.of(offset(iso.group(3))))
                                .toInstant();
                String rest = iso.group(4);
                Matcher level = LEVEL_WORD.matcher(rest + " ");
                if (level.find()) {
                    return Optional.of(new Parsed(
                            time,
                            normalizeLevel(level.group(1)),
                            rest.substring(Math.min(rest.length(), level.end())).strip()));
                }
                return Optional.of(new Parsed(time, "INFO", rest));
            }
        } catch (java.time.DateTimeException ignored) {
            // Looked like a time but is not one: a continuation line.
        }
        return Optional.empty();
    }

    private static String offset(String zone) {
        if (zone.equals("Z")) {
            return "Z";
        }
        return zone.length() == 5 ? zone.substring(0, 3) + ":" + zone.substring(3) : zone;
    }

    private static String pad(String time) {
        return time.length() == 7 ? "0" + time : time;
    }

    /** The level names of every component mapped to one set: DEBUG, INFO, WARN, ERROR, FATAL. */
    static String normalizeLevel(String level) {
        return switch (level.toUpperCase(Locale.ROOT)) {
            case "TRACE", "DEBUG", "FINE", "FINER", "FINEST", "CONFIG" -> "DEBUG";
            case "WARN", "WARNING" -> "WARN";
            case "ERROR", "ERR", "SEVERE" -> "ERROR";
            case "FATAL", "CRITICAL", "PANIC", "DPANIC", "ALERT", "EMERG" -> "FATAL";
            case "INFO", "NOTE", "NOTICE" -> "INFO";
            default -> level.toUpperCase(Locale.ROOT);
        };
    }

    record Parsed(Instant time, String level, String message) {}
}
