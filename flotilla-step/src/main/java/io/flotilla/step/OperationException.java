package io.flotilla.step;

import static java.util.Objects.requireNonNull;

/**
 * An operation that cannot go on, with a stable code for scripts and a message that says what
 * happened, why, and what to do next.
 */
public class OperationException extends RuntimeException {
    private final ErrorCode code;

    public OperationException(ErrorCode code, String message) {
        super(message);
        this.code = requireNonNull(code, "code is null");
    }

    public OperationException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = requireNonNull(code, "code is null");
    }

    public ErrorCode code() {
        return code;
    }
}
