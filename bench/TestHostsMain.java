import io.flotilla.testing.TestHost;
import io.flotilla.testing.TestHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;

/**
 * Keeps test hosts up for a shell script: {@code java -cp flotilla-testing.jar bench/TestHostsMain.java
 * PREFIX COUNT OUT}. Writes {@code OUT} (one {@code name address} line per host, then {@code key PATH} and
 * {@code known_hosts PATH}) once every sshd answers, then waits. SIGTERM, SIGINT or the death of the
 * parent process removes the hosts (namespaces, processes, folders) through TestHosts' shutdown hook.
 */
public final class TestHostsMain {
    private TestHostsMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: TestHostsMain PREFIX COUNT OUT");
            System.exit(2);
        }
        // A script killed with SIGKILL cannot stop us: we go when it goes.
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
        TestHosts hosts = TestHosts.create(args[0], Integer.parseInt(args[1]));
        StringBuilder out = new StringBuilder();
        for (TestHost host : hosts.hosts()) {
            out.append(host.name()).append(' ').append(host.address()).append('\n');
        }
        out.append("key ").append(hosts.clientKey()).append('\n');
        out.append("known_hosts ").append(hosts.knownHosts()).append('\n');
        Path target = Path.of(args[2]);
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(temporary, out);
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        new CountDownLatch(1).await();
    }
}
