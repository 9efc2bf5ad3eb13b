package io.flotilla.step;

/**
 * Why an operation stopped, as a closed set of stable names that callers and tests tell failures
 * apart by; the message beside it says what happened and what to do.
 */
public enum ErrorCode {
    AGENT_INSTALL,
    AGENT_MISSING,
    AGENT_RUNTIME,
    AGENT_START,
    AGENT_UNIT,
    BAD_NAME,
    BAD_OPTION,
    BAD_SELECTION,
    BOOTSTRAP,
    BOOTSTRAP_LOGIN,
    CLONE,
    CLUSTER_KEY,
    DEPLOY_CHANGED,
    DISPLAY,
    EXISTS,
    INTERRUPTED,
    LOCKED,
    NEEDS_CONFIRMATION,
    NOT_DEPLOYED,
    NOT_READY,
    NO_CLUSTER,
    NO_OPERATION,
    NO_PRIMARY,
    NO_TLS,
    NOT_OURS,
    PLAYGROUND_EXISTS,
    PORTS_BUSY,
    PREFLIGHT,
    RELOAD,
    REMOTE_HOST,
    SCALE_IN_REFUSED,
    SECRETS_EXPOSED,
    SECRETS_MISSING,
    SOURCE,
    SOURCE_CHECKSUM,
    STATE_DAMAGED,
    STEP_FAILED,
    SWITCHOVER_CATCH_UP,
    SWITCHOVER_DIVERGED,
    SWITCHOVER_REFUSED,
    TLS
}
