package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * An error of the agent or of a call to it, with a stable {@link Code} that the HTTP API and the
 * client share. The message says what happened and, where one is known, what to do.
 */
public final class AgentException extends RuntimeException {
    private final Code code;

    public AgentException(Code code, String message) {
        super(requireNonNull(message, "message is null"));
        this.code = requireNonNull(code, "code is null");
    }

    public AgentException(Code code, String message, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.code = requireNonNull(code, "code is null");
    }

    public Code code() {
        return code;
    }

    /** Stable error codes; the HTTP status is the one the agent answers with. */
    public enum Code {
        /** The request carried no bearer token or a wrong one. */
        UNAUTHORIZED(401),
        /** No instance with that id is known to the agent. */
        UNKNOWN_INSTANCE(404),
        /** No such route in the agent's API. */
        NOT_FOUND(404),
        /** The route exists but not for that HTTP method. */
        METHOD_NOT_ALLOWED(405),
        /** The instance spec is invalid. */
        BAD_SPEC(400),
        /** Some other part of the request is invalid. */
        BAD_REQUEST(400),
        /** The component refused what was asked (a setting it cannot change, a value it does not accept). */
        REFUSED(409),
        /** The instance does not answer the agent (its server is down or refuses the agent's login). */
        INSTANCE_DOWN(503),
        /** The agent cannot start: its directory, token file, TLS files or listen address is wrong. */
        CANNOT_START(500),
        /** The agent failed while doing what was asked. */
        INTERNAL(500),
        /** The agent answered with an error code this client does not know. */
        AGENT_ERROR(502),
        /** The agent answered with something that is not the API's JSON. */
        BAD_RESPONSE(502),
        /**
         * The address answered, but not as the cluster's agent: the TLS handshake failed (a certificate not
         * from the cluster's CA, or not for that host, or no TLS at all), so nothing was sent.
         */
        NOT_TRUSTED(502),
        /** The agent could not be reached. */
        UNREACHABLE(503),
        /** The agent did not answer in time. */
        TIMEOUT(504);

        private final int httpStatus;

        Code(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }

        /** The code named by an agent's error JSON; {@link #AGENT_ERROR} when it is unknown here. */
        public static Code fromWire(String name) {
            for (Code code : values()) {
                if (code.name().equals(name)) {
                    return code;
                }
            }
            return AGENT_ERROR;
        }
    }
}
