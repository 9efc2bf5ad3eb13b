package io.flotilla.k8s;

import java.time.Duration;

/** Waits for a condition by retrying an assertion until it holds or the time is up. */
final class Eventually {
    private Eventually() {}

    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    static void assertEventually(Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (Exception | AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(
                    Duration.ofMillis(100).toNanos());
        }
    }
}
