package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.DiagnosisReport;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Facts that explain why an instance is not ready, each a sentence an operator can act on
 * ({@code "port 3306 is in use by pid 812 (mysqld)"}), and the end of its log.
 */
public final class Diagnosis {
    private static final Path PROC = Path.of("/proc");
    private static final String LISTEN = "0A";
    // A tail never reads more than this, so one runaway line cannot fill the agent's heap.
    private static final int MAX_TAIL_BYTES = 1 << 20;
    private static final int CHUNK = 8192;

    private Diagnosis() {}

    /** {@link #diagnose} and the last {@code lines} lines of the instance's log file. */
    public static DiagnosisReport report(InstanceSpec spec, InstanceStatus status, int lines) {
        return new DiagnosisReport(diagnose(spec, status), logTail(logFile(spec), lines));
    }

    /** What is wrong around {@code spec}; empty when nothing is found. */
    public static List<String> diagnose(InstanceSpec spec, InstanceStatus status) {
        requireNonNull(spec, "spec is null");
        requireNonNull(status, "status is null");
        List<String> facts = new ArrayList<>();
        Path workDir = Path.of(spec.workDir());
        binary(spec, workDir).ifPresent(facts::add);
        if (!Files.isDirectory(workDir)) {
            facts.add("working directory %s does not exist".formatted(workDir));
        }
        for (int port : spec.ports()) {
            portOwner(port, status.pid()).ifPresent(facts::add);
        }
        for (String dataDir : spec.dataDirs()) {
            dataDir(workDir.resolve(dataDir)).ifPresent(facts::add);
        }
        exit(status).ifPresent(facts::add);
        Path log = logFile(spec);
        if (!Files.exists(log)) {
            facts.add("log file %s does not exist".formatted(log));
        }
        return facts;
    }

    /**
     * The last {@code lines} lines of {@code file}, read backwards from its end; empty when the file
     * does not exist. Bytes that are not UTF-8 are replaced.
     */
    public static List<String> logTail(Path file, int lines) {
        requireNonNull(file, "file is null");
        if (lines <= 0) {
            return List.of();
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                return List.of();
            }
            // A final newline ends the last line; it does not start an empty one.
            long limit = byteAt(channel, size - 1) == '\n' ? size - 1 : size;
            long floor = Math.max(0, limit - MAX_TAIL_BYTES);
            long start = floor;
            long position = limit;
            int newlines = 0;
            ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
            scan:
            while (position > floor) {
                int length = (int) Math.min(CHUNK, position - floor);
                position -= length;
                buffer.clear().limit(length);
                readFully(channel, buffer, position);
                for (int i = length - 1; i >= 0; i--) {
                    if (buffer.get(i) == '\n' && ++newlines == lines) {
                        start = position + i + 1;
                        break scan;
                    }
                }
            }
            ByteBuffer tail = ByteBuffer.allocate((int) (limit - start));
            readFully(channel, tail, start);
            return List.of(new String(tail.array(), UTF_8).split("\n", -1));
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read log file %s: %s".formatted(file, e.getMessage()), e);
        }
    }

    /**
     * The process that listens on TCP {@code port}, as {@code "port 3306 is in use by pid 812 (mysqld)"};
     * empty when nobody listens or the listener is {@code ownPid} or one of its descendants.
     */
    static Optional<String> portOwner(int port, long ownPid) {
        Set<String> inodes = new HashSet<>();
        inodes.addAll(listeningInodes(PROC.resolve("net/tcp"), port));
        inodes.addAll(listeningInodes(PROC.resolve("net/tcp6"), port));
        if (inodes.isEmpty()) {
            return Optional.empty();
        }
        Optional<Long> owner = socketOwner(inodes);
        if (owner.isEmpty()) {
            return Optional.of("port %d is in use by a process the agent cannot see (another user's?)".formatted(port));
        }
        long pid = owner.get();
        if (ownPid > 0 && isSelfOrDescendant(pid, ownPid)) {
            return Optional.empty();
        }
        return Optional.of("port %d is in use by pid %d (%s)".formatted(port, pid, processName(pid)));
    }

    private static Optional<String> binary(InstanceSpec spec, Path workDir) {
        String program = spec.command().getFirst();
        Optional<Path> binary = Executables.resolve(program, workDir, spec.environment());
        String install = spec.binaryPackage().isEmpty()
                ? "check the command of instance " + spec.id()
                : "install the Debian package " + spec.binaryPackage();
        if (binary.isEmpty()) {
            return Optional.of("binary %s not found; %s".formatted(program, install));
        }
        if (!Files.isExecutable(binary.get())) {
            return Optional.of("binary %s is not executable; run chmod +x %s or %s"
                    .formatted(binary.get(), binary.get(), install));
        }
        return Optional.empty();
    }

    private static Optional<String> dataDir(Path dir) {
        if (!Files.exists(dir)) {
            return Optional.of("data directory %s does not exist".formatted(dir));
        }
        if (!Files.isDirectory(dir)) {
            return Optional.of("data directory %s is not a directory".formatted(dir));
        }
        if (!Files.isWritable(dir)) {
            return Optional.of("data directory %s is not writable by the agent's user %s"
                    .formatted(dir, System.getProperty("user.name")));
        }
        return Optional.empty();
    }

    private static Optional<String> exit(InstanceStatus status) {
        String restarted = status.restarts() == 1 ? "once" : "%d times".formatted(status.restarts());
        return switch (status.state()) {
            case STOPPED ->
                Optional.of(
                        status.lastExit().isEmpty()
                                ? "the instance is stopped"
                                : "the instance is stopped; its last process ended with " + status.lastExit());
            case RUNNING ->
                status.restarts() == 0
                        ? Optional.empty()
                        : Optional.of("the process was restarted %s after unexpected exits; the last one ended with %s"
                                .formatted(restarted, status.lastExit()));
            case BACKOFF ->
                Optional.of(
                        "the process ended with %s; the supervisor restarts it after a backoff (restarted %s so far)"
                                .formatted(status.lastExit(), restarted));
            case FAILED ->
                Optional.of(
                        "the process ended with %s and exited too often in a row right after starting; the supervisor gave up: fix the cause, then start the instance again"
                                .formatted(status.lastExit()));
        };
    }

    static Path logFile(InstanceSpec spec) {
        return Path.of(spec.workDir()).resolve(spec.logFile());
    }

    // /proc/net/tcp: "sl local_address rem_address st ... uid timeout inode", addresses as HEXIP:HEXPORT.
    private static List<String> listeningInodes(Path table, int port) {
        List<String> inodes = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(table);
        } catch (IOException ignored) {
            // No IPv6 on this host, or no /proc: nothing listens there that we can see.
            return inodes;
        }
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 10 || !fields[3].equals(LISTEN)) {
                continue;
            }
            String local = fields[1];
            int colon = local.lastIndexOf(':');
            if (colon >= 0 && Integer.parseInt(local.substring(colon + 1), 16) == port && !fields[9].equals("0")) {
                inodes.add(fields[9]);
            }
        }
        return inodes;
    }

    private static Optional<Long> socketOwner(Set<String> inodes) {
        Set<String> links = new HashSet<>();
        for (String inode : inodes) {
            links.add("socket:[" + inode + "]");
        }
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path process : processes) {
                if (ownsAny(process, links)) {
                    return Optional.of(Long.parseLong(process.getFileName().toString()));
                }
            }
        } catch (IOException ignored) {
            // /proc unreadable: the caller says the owner is not visible.
        }
        return Optional.empty();
    }

    private static boolean ownsAny(Path process, Set<String> links) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (links.contains(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException ignored) {
                    // The descriptor closed while we looked.
                }
            }
        } catch (IOException ignored) {
            // Another user's process, or it exited while we looked.
        }
        return false;
    }

    private static boolean isSelfOrDescendant(long pid, long ancestor) {
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        while (process.isPresent()) {
            if (process.get().pid() == ancestor) {
                return true;
            }
            process = process.get().parent();
        }
        return false;
    }

    private static String processName(long pid) {
        try {
            return Files.readString(PROC.resolve(pid + "/comm")).strip();
        } catch (IOException ignored) {
            return ProcessHandle.of(pid)
                    .flatMap(process -> process.info().command())
                    .map(command -> Path.of(command).getFileName().toString())
                    .orElse("unknown");
        }
    }

    private static byte byteAt(FileChannel channel, long position) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        readFully(channel, one, position);
        return one.get(0);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                break;
            }
            at += read;
        }
    }
}
