package io.flotilla.sql.protocol;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Consecutive failed logins per client address, for the login delay. The addresses are the
 * clients' to choose, so the table holds at most {@code capacity} of them and forgets first the
 * one least recently heard from.
 */
final class LoginFailures {
    static final int CAPACITY = 10_000;

    private final ServerSettings.LoginDelay delay;
    private final Map<InetAddress, Integer> failures;

    LoginFailures(ServerSettings.LoginDelay delay, int capacity) {
        this.delay = requireNonNull(delay, "delay is null");
        this.failures = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Integer> eldest) {
                return size() > capacity;
            }
        };
    }

    /** How long to hold the answer to a login attempt from {@code address} made now. */
    synchronized Duration delayFor(InetAddress address) {
        return delay.after(failures.getOrDefault(address, 0));
    }

    synchronized void failed(InetAddress address) {
        if (delay.threshold() > 0) {
            failures.merge(address, 1, (count, one) -> count == Integer.MAX_VALUE ? count : count + one);
        }
    }

    synchronized void succeeded(InetAddress address) {
        failures.remove(address);
    }

    synchronized int size() {
        return failures.size();
    }
}
