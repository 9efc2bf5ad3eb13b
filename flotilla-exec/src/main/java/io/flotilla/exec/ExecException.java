package io.flotilla.exec;

/** A command or file operation on a host that failed; the message names the host and what was done. */
public final class ExecException extends RuntimeException {
    private final String host;

    public ExecException(String host, String message) {
        super(message);
        this.host = host;
    }

    public ExecException(String host, String message, Throwable cause) {
        super(message, cause);
        this.host = host;
    }

    public String host() {
        return host;
    }
}
