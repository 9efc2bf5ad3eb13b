package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * Who an agent is: its process, build and where it keeps its state.
 *
 * @param host the host name the agent runs on
 * @param dir the agent's directory (specs, pid files, token)
 */
public record AgentInfo(long pid, String version, Instant startedAt, String host, String dir) {
    public AgentInfo {
        requireNonNull(version, "version is null");
        requireNonNull(startedAt, "startedAt is null");
        requireNonNull(host, "host is null");
        requireNonNull(dir, "dir is null");
    }
}
