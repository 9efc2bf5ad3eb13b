package io.flotilla.sql.protocol;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * What the SQL endpoint allows a client, under MySQL's names and with MySQL's defaults:
 * {@code connect_timeout} from accept to authenticated, {@code wait_timeout} between commands,
 * {@code max_connections} counted from accept, {@code require_secure_transport}, and the delay of
 * MySQL's connection_control plugin after repeated failed logins from one address.
 */
public record ServerSettings(
        Duration connectTimeout,
        Duration waitTimeout,
        int maxConnections,
        boolean requireSecureTransport,
        LoginDelay loginDelay) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(28800);
    public static final int DEFAULT_MAX_CONNECTIONS = 151;

    public ServerSettings {
        requireNonNull(connectTimeout, "connectTimeout is null");
        requireNonNull(waitTimeout, "waitTimeout is null");
        requireNonNull(loginDelay, "loginDelay is null");
        if (!connectTimeout.isPositive() || !waitTimeout.isPositive()) {
            throw new IllegalArgumentException("connect_timeout and wait_timeout must be positive");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max_connections must be at least 1, got " + maxConnections);
        }
    }

    /** MySQL's defaults; {@code require_secure_transport} as given. */
    public static ServerSettings defaults(boolean requireSecureTransport) {
        return new ServerSettings(
                DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_WAIT_TIMEOUT,
                DEFAULT_MAX_CONNECTIONS,
                requireSecureTransport,
                LoginDelay.DEFAULT);
    }

    public ServerSettings withConnectTimeout(Duration timeout) {
        return new ServerSettings(timeout, waitTimeout, maxConnections, requireSecureTransport, loginDelay);
    }

    public ServerSettings withWaitTimeout(Duration timeout) {
        return new ServerSettings(connectTimeout, timeout, maxConnections, requireSecureTransport, loginDelay);
    }

    public ServerSettings withMaxConnections(int max) {
        return new ServerSettings(connectTimeout, waitTimeout, max, requireSecureTransport, loginDelay);
    }

    public ServerSettings withLoginDelay(LoginDelay delay) {
        return new ServerSettings(connectTimeout, waitTimeout, maxConnections, requireSecureTransport, delay);
    }

    /**
     * MySQL's connection_control: after {@code threshold} consecutive failed logins from one
     * address (0: never), each later attempt from it is answered only after {@code minDelay} times
     * the failures past the threshold, at most {@code maxDelay}; a successful login resets it.
     */
    public record LoginDelay(int threshold, Duration minDelay, Duration maxDelay) {
        /** MySQL's threshold and minimum; a maximum of 30 s instead of MySQL's 24 days. */
        public static final LoginDelay DEFAULT = new LoginDelay(3, Duration.ofSeconds(1), Duration.ofSeconds(30));

        public LoginDelay {
            requireNonNull(minDelay, "minDelay is null");
            requireNonNull(maxDelay, "maxDelay is null");
            if (threshold < 0) {
                throw new IllegalArgumentException("the failed-login threshold must be 0 or more, got " + threshold);
            }
            if (!minDelay.isPositive() || maxDelay.compareTo(minDelay) < 0) {
                throw new IllegalArgumentException("the login delay needs 0 < minimum (%d ms) <= maximum (%d ms)"
                        .formatted(minDelay.toMillis(), maxDelay.toMillis()));
            }
        }

        /** The delay before answering an attempt that follows {@code failures} consecutive failed ones. */
        Duration after(int failures) {
            if (threshold == 0 || failures < threshold) {
                return Duration.ZERO;
            }
            long steps = failures - threshold + 1L;
            Duration delay = steps > maxDelay.dividedBy(minDelay) ? maxDelay : minDelay.multipliedBy(steps);
            return delay.compareTo(maxDelay) > 0 ? maxDelay : delay;
        }
    }
}
