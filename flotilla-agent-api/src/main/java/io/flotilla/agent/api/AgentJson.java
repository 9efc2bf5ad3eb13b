package io.flotilla.agent.api;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

/** The JSON shape of the agent's API and files: instants as ISO-8601 strings, probes tagged by {@code type}. */
public final class AgentJson {
    private AgentJson() {}

    /**
     * For requests to the agent: an unknown or missing property is a mistake in the request, not
     * something to skip or default (a missing stopTimeoutSeconds must not mean "kill at once").
     */
    public static JsonMapper strict() {
        return builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
                .build();
    }

    /** For what was written by another version: an agent's answers, the agent's own stored specs. */
    public static JsonMapper lenient() {
        return builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    private static JsonMapper.Builder builder() {
        return JsonMapper.builder()
                .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    }
}
