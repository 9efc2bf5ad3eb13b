package io.flotilla.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Finds and kills the processes of network namespaces, the way {@code ip netns pids} finds them: by
 * the inode of {@code /proc/<pid>/ns/net}. Reading {@code /proc} directly also finds the processes
 * of a namespace whose name an interrupted run already deleted.
 */
final class NamespaceProcesses {
    private static final Path PROC = Path.of("/proc");
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration KILL_POLL_INTERVAL = Duration.ofMillis(10);

    private NamespaceProcesses() {}

    /** The inode of a named namespace ({@code /run/netns/<name>}), if it exists. */
    static Optional<Long> inodeOf(String namespace) {
        return inode(Path.of("/run/netns", namespace));
    }

    /** The network namespaces of the processes whose command line matches, other than this JVM's. */
    static Set<Long> namespacesOf(Predicate<String> commandLine) {
        Set<Long> namespaces = new HashSet<>();
        long own = ownNamespace();
        for (long pid : allPids()) {
            if (commandLine(pid).filter(commandLine).isPresent()) {
                netns(pid).filter(inode -> inode != own).ifPresent(namespaces::add);
            }
        }
        return namespaces;
    }

    static List<Long> pidsIn(Set<Long> namespaces) {
        List<Long> pids = new ArrayList<>();
        for (long pid : allPids()) {
            netns(pid).filter(namespaces::contains).ifPresent(ignored -> pids.add(pid));
        }
        return pids;
    }

    /**
     * Kills every process in the given namespaces with SIGKILL and waits until none is left. A process
     * forked while we kill is found by the next pass.
     */
    static void killAll(Set<Long> namespaces, String what) {
        if (namespaces.contains(ownNamespace())) {
            throw new IllegalArgumentException("refusing to kill the processes of this JVM's own network namespace");
        }
        AtomicReference<List<Long>> alive = new AtomicReference<>();
        // Polled while the kernel tears the killed processes down.
        boolean gone = Await.until(KILL_TIMEOUT, KILL_POLL_INTERVAL, "killing processes", () -> {
            List<Long> pids = pidsIn(namespaces);
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            alive.set(pids);
            return pids.isEmpty();
        });
        if (!gone) {
            throw new TestHostsException("processes %s of %s are still alive %d s after SIGKILL"
                    .formatted(alive.get(), what, KILL_TIMEOUT.toSeconds()));
        }
    }

    private static long ownNamespace() {
        return inode(PROC.resolve("self/ns/net"))
                .orElseThrow(() -> new TestHostsException("cannot read /proc/self/ns/net: is /proc mounted?"));
    }

    private static Optional<Long> netns(long pid) {
        return inode(PROC.resolve(pid + "/ns/net"));
    }

    private static Optional<Long> inode(Path path) {
        try {
            return Optional.of((Long) Files.getAttribute(path, "unix:ino"));
        } catch (IOException | SecurityException ignored) {
            // Gone, a zombie (which holds no namespace) or not ours to read.
            return Optional.empty();
        }
    }

    private static Optional<String> commandLine(long pid) {
        try {
            return Optional.of(new String(Files.readAllBytes(PROC.resolve(pid + "/cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' '));
        } catch (IOException ignored) {
            // The process exited while we looked.
            return Optional.empty();
        }
    }

    private static List<Long> allPids() {
        try (Stream<Path> entries = Files.list(PROC)) {
            return entries.map(entry -> entry.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong)
                    .toList();
        } catch (IOException e) {
            throw new TestHostsException("cannot list /proc: %s".formatted(e.getMessage()), e);
        }
    }
}
