package io.flotilla.testing;

/**
 * Creates test hosts in a JVM of its own, never calls {@link TestHosts#close()}, says {@code ready}
 * and then either waits to be killed ({@code wait}: not even the shutdown hook runs) or returns
 * ({@code exit}: only the shutdown hook cleans up).
 */
public final class TestingSeparateRun {
    private TestingSeparateRun() {}

    public static void main(String[] args) throws Exception {
        TestHosts.create(args[0], Integer.parseInt(args[1]));
        System.out.println("ready");
        System.out.flush();
        if (args[2].equals("wait")) {
            // Blocks until the test kills this JVM with SIGKILL.
            System.in.read();
        }
    }
}
