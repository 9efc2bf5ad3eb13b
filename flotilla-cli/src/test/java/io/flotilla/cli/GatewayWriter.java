package io.flotilla.cli;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Inserts rows one by one into {@code fleet.log (id, written_on)} through a gateway's write port,
 * reconnecting after any failure, and keeps the ids whose insert was acknowledged: what a switchover
 * must not lose.
 */
final class GatewayWriter {
    private final String host;
    private final int port;
    private final String password;
    private final List<Integer> acknowledged = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicLong longestGap = new AtomicLong();
    private volatile boolean running = true;
    private Thread thread;

    GatewayWriter(String host, int port, String password) {
        this.host = host;
        this.port = port;
        this.password = password;
    }

    void start() {
        thread = Thread.ofPlatform().name("gateway-writer").start(this::write);
    }

    private void write() {
        int next = 1;
        long last = System.nanoTime();
        while (running) {
            try (Connection connection = LocalClusterTest.connect(host, port, password);
                    Statement statement = connection.createStatement()) {
                while (running) {
                    statement.executeUpdate("INSERT INTO fleet.log VALUES (%d, @@server_id)".formatted(next));
                    acknowledged.add(next);
                    next++;
                    long now = System.nanoTime();
                    longestGap.accumulateAndGet((now - last) / 1_000_000, Math::max);
                    last = now;
                }
            } catch (Exception e) {
                failures.incrementAndGet();
                next++; // an unacknowledged insert may have happened: never reuse its id
                try {
                    Thread.sleep(5); // pacing the reconnects, not a synchronisation
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    void stop() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }

    List<Integer> acknowledged() {
        synchronized (acknowledged) {
            return List.copyOf(acknowledged);
        }
    }

    int failures() {
        return failures.get();
    }

    /** The longest time between two acknowledged inserts. */
    long longestGapMillis() {
        return longestGap.get();
    }
}
