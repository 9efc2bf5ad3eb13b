package io.flotilla.testing;

/**
 * Creates test hosts in a JVM of its own, says {@code ready} and waits to be killed, so that a test
 * can leave the leftovers of a run that never reached {@link TestHosts#close()} or its shutdown hook.
 */
public final class TestingInterruptedRun {
    private TestingInterruptedRun() {}

    public static void main(String[] args) throws Exception {
        TestHosts.create(args[0], Integer.parseInt(args[1]));
        System.out.println("ready");
        System.out.flush();
        // Blocks until the test kills this JVM with SIGKILL.
        System.in.read();
    }
}
