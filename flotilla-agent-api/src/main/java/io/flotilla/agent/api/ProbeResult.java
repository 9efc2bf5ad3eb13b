package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/** The outcome of one probe attempt; {@code detail} says what was seen, ready or not. */
public record ProbeResult(boolean ready, String detail) {
    public ProbeResult {
        requireNonNull(detail, "detail is null");
    }

    public static ProbeResult ready(String detail) {
        return new ProbeResult(true, detail);
    }

    public static ProbeResult notReady(String detail) {
        return new ProbeResult(false, detail);
    }
}
