package io.flotilla.testing;

/** Test hosts could not be set up, used or removed; the message names the command and what it printed. */
public final class TestHostsException extends RuntimeException {
    public TestHostsException(String message) {
        super(message);
    }

    public TestHostsException(String message, Throwable cause) {
        super(message, cause);
    }
}
