package io.flotilla.engine;

import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.Step;

/** The first action of a plan that failed; the operation stopped there and can be run again. */
public final class StepFailedException extends OperationException {
    private final transient Step.Action action;

    StepFailedException(Step.Action action, Throwable cause) {
        super(code(cause), message(action, cause), cause);
        this.action = action;
    }

    public Step.Action action() {
        return action;
    }

    private static ErrorCode code(Throwable cause) {
        return cause instanceof OperationException operation ? operation.code() : ErrorCode.STEP_FAILED;
    }

    private static String message(Step.Action action, Throwable cause) {
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return "%s failed: %s".formatted(action.title(), reason);
    }
}
