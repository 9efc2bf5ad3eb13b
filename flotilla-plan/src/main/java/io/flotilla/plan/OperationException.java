package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

/**
 * An operation that cannot go on, with a stable code for scripts and a message that says what
 * happened, why, and what to do next.
 */
public class OperationException extends RuntimeException {
    private final String code;

    public OperationException(String code, String message) {
        super(message);
        this.code = requireNonNull(code, "code is null");
    }

    public OperationException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = requireNonNull(code, "code is null");
    }

    public String code() {
        return code;
    }
}
