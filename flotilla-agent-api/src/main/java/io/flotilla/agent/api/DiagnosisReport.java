package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** What the agent found out about one instance that does not run well: facts, and the last lines of its log. */
public record DiagnosisReport(List<String> facts, List<String> log) {
    public DiagnosisReport {
        facts = List.copyOf(requireNonNull(facts, "facts is null"));
        log = List.copyOf(requireNonNull(log, "log is null"));
    }
}
