package io.flotilla.agent;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.AgentJson;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.InstanceStatus.State;
import io.flotilla.agent.api.RestartPolicy;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Owns the component processes of this host. Specs and whether each instance should run are kept
 * in {@code <agentDir>/instances}, pid files in {@code <agentDir>/run}, so that a new agent adopts the
 * processes of the one before it. Processes run in their own session and outlive the agent.
 */
public final class Supervisor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    /** A pid file is written just after its process starts; a process started later than this after it is another's. */
    private static final Duration PID_FILE_SLACK = Duration.ofSeconds(1);
    // setsid(1) puts the component in a session of its own, so a signal to the agent's process
    // group (Ctrl-C, a service manager stopping the agent) does not reach it. It execs in place,
    // so the pid we see is the component's.
    private static final Optional<Path> SETSID =
            Optional.of(Path.of("/usr/bin/setsid")).filter(Files::isExecutable);

    private final Path instancesDir;
    private final Path runDir;
    private final RestartPolicy policy;
    private final JsonMapper json;
    private final ConcurrentSkipListMap<String, Instance> instances;
    private final ScheduledExecutorService backoff;
    // Held while an instance checks and takes the process its pid file names, and while a launched
    // process is recorded, so that no two instances ever take the same process.
    private final Object claims = new Object();
    private volatile boolean closed;

    private Supervisor(Path agentDir, RestartPolicy policy) {
        this.instancesDir = agentDir.resolve("instances");
        this.runDir = agentDir.resolve("run");
        this.policy = requireNonNull(policy, "policy is null");
        // Specs on disk may come from an older or newer agent; read them leniently.
        this.json = AgentJson.lenient();
        this.instances = new ConcurrentSkipListMap<>();
        this.backoff = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("supervisor-backoff").daemon().factory());
    }

    /** Reads the specs stored under {@code agentDir}; nothing is started until {@link #recover()}. */
    public static Supervisor open(Path agentDir, RestartPolicy policy) {
        Supervisor supervisor = new Supervisor(requireNonNull(agentDir, "agentDir is null"), policy);
        supervisor.load();
        return supervisor;
    }

    /**
     * Brings every instance that should run to RUNNING: adopts its process when the pid file names a
     * live process of the spec's program, starts it otherwise.
     */
    public void recover() {
        List<Thread> threads = new ArrayList<>();
        for (Instance instance : instances.values()) {
            threads.add(Thread.ofVirtual().name("recover " + instance.id).start(() -> recover(instance)));
        }
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AgentException(Code.INTERNAL, "interrupted while recovering instances", e);
            }
        }
    }

    /** Stores {@code spec}, replacing an earlier one; a running process keeps its old spec until restarted. */
    public InstanceStatus put(InstanceSpec spec) {
        requireNonNull(spec, "spec is null");
        SpecRules.check(spec);
        while (true) {
            Instance instance = instances.computeIfAbsent(spec.id(), id -> new Instance(spec));
            synchronized (instance) {
                if (instance.removed) {
                    continue;
                }
                instance.spec = spec;
                persist(instance);
                return instance.status();
            }
        }
    }

    /** Stops the instance if it runs and forgets its spec. */
    public void remove(String id) {
        Instance instance = instance(id);
        instance.operation.lock();
        try {
            checkNotRemoved(instance);
            stopProcess(instance, false);
            synchronized (instance) {
                instance.removed = true;
                instances.remove(id, instance);
                AtomicFiles.delete(specFile(id));
                AtomicFiles.delete(pidFile(id));
            }
            LOG.log(Level.INFO, "instance %s removed".formatted(id));
        } finally {
            instance.operation.unlock();
        }
    }

    public InstanceSpec spec(String id) {
        Instance instance = instance(id);
        synchronized (instance) {
            return instance.spec;
        }
    }

    public InstanceStatus status(String id) {
        return instance(id).status();
    }

    public List<InstanceStatus> statuses() {
        return instances.values().stream().map(Instance::status).toList();
    }

    /** Starts the instance and keeps it running; a no-op on a running instance. */
    public InstanceStatus start(String id) {
        return operate(id, instance -> {
            synchronized (instance) {
                if (instance.state == State.RUNNING) {
                    return instance.status();
                }
            }
            return startProcess(instance);
        });
    }

    /**
     * Stops the instance: SIGTERM, then SIGKILL after the spec's stop timeout. A no-op on a stopped
     * instance; ends a backoff or a FAILED state.
     */
    public InstanceStatus stop(String id) {
        return operate(id, instance -> stopProcess(instance, true));
    }

    /** Stops the instance if it runs and starts it with its latest spec. */
    public InstanceStatus restart(String id) {
        return operate(id, instance -> {
            stopProcess(instance, false);
            return startProcess(instance);
        });
    }

    /**
     * Starts, stops or restarts an instance that was not removed, holding its operation lock so that
     * no other operation on it (a removal included) overlaps.
     */
    private InstanceStatus operate(String id, Function<Instance, InstanceStatus> operation) {
        Instance instance = instance(id);
        instance.operation.lock();
        try {
            checkNotRemoved(instance);
            return operation.apply(instance);
        } finally {
            instance.operation.unlock();
        }
    }

    /** Stops supervising. The processes keep running; the next agent adopts them. */
    @Override
    public void close() {
        closed = true;
        backoff.shutdownNow();
    }

    private void load() {
        if (!Files.isDirectory(instancesDir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(instancesDir, "[!.]*.json")) {
            for (Path file : files) {
                try {
                    StoredInstance stored = json.readValue(file.toFile(), StoredInstance.class);
                    Instance instance = new Instance(stored.spec());
                    instance.run = stored.run();
                    instances.put(stored.spec().id(), instance);
                } catch (JacksonException | IllegalArgumentException e) {
                    // One damaged file must not keep the agent from supervising the others. Its pid
                    // file stays: the spec put again adopts the process instead of starting another.
                    quarantine(file, e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read instance specs in %s: %s".formatted(instancesDir, e), e);
        }
    }

    /** Moves a damaged instance file to {@code instances/damaged/}, where nothing reads it but people. */
    private void quarantine(Path file, Exception why) {
        Path damaged = instancesDir.resolve("damaged");
        Path target = damaged.resolve(file.getFileName() + "." + System.currentTimeMillis());
        try {
            Files.createDirectories(damaged);
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            LOG.log(
                    Level.ERROR,
                    "instance file %s is damaged (%s); moved to %s, and the instance is adopted from its pid file once its spec is put again"
                            .formatted(file, firstLine(why), target));
        } catch (IOException e) {
            LOG.log(
                    Level.ERROR,
                    "ignoring damaged instance file %s (%s); cannot move it: %s"
                            .formatted(file, firstLine(why), e.getMessage()));
        }
    }

    private static String firstLine(Exception e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /**
     * The live process the instance's pid file names, when it is the one this agent launched for the
     * instance; a process the agent did not start is never adopted, and so never stopped. Called
     * holding {@link #claims}.
     */
    private Optional<ProcessHandle> fromPidFile(Instance instance, InstanceSpec spec) {
        Path file = pidFile(instance.id);
        Optional<PidFile> recorded = PidFile.read(file);
        Optional<ProcessHandle> process =
                recorded.flatMap(pid -> ProcessHandle.of(pid.pid())).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            return Optional.empty();
        }
        OptionalLong started = PidFile.startTime(process.get().pid());
        Optional<String> stranger = notOurs(instance, spec, recorded.get(), started, modified(file), process.get());
        if (stranger.isPresent()) {
            LOG.log(
                    Level.WARNING,
                    "instance %s: its pid file %s names pid %d, which %s; that process is left alone"
                            .formatted(instance.id, file, process.get().pid(), stranger.get()));
            return Optional.empty();
        }
        if (recorded.get().startTime().isEmpty()) {
            // Written again in this agent's form, with the start time just checked.
            new PidFile(process.get().pid(), started).write(file);
        }
        return process;
    }

    /**
     * Why {@code process} is not the instance's: another instance of this agent has it, it started at
     * another time than the pid file says (the pid was used again, after a reboot or not), it runs
     * another program, or, for a pid file of an older agent that recorded no start time, it started
     * after the file was written (a process the pid file named never does). Its arguments are not
     * compared: HAProxy's master runs itself again with {@code -sf} on each reload, and a spec
     * changes before its process restarts. Empty when it is the instance's.
     */
    private Optional<String> notOurs(
            Instance instance,
            InstanceSpec spec,
            PidFile recorded,
            OptionalLong started,
            Optional<Instant> written,
            ProcessHandle process) {
        for (Instance other : instances.values()) {
            if (other != instance && other.pid() == process.pid()) {
                return Optional.of("is the process of instance " + other.id);
            }
        }
        if (started.isEmpty()) {
            return Optional.of("is gone");
        }
        if (recorded.startTime().isPresent()) {
            if (!started.equals(recorded.startTime())) {
                return Optional.of("started at another time (%s, not %d): the pid is another process's now"
                        .formatted(started.getAsLong(), recorded.startTime().getAsLong()));
            }
        }
        if (!Executables.runs(process, spec)) {
            return Optional.of("runs %s, not %s"
                    .formatted(
                            process.info().command().orElse("a program the agent cannot see"),
                            spec.command().getFirst()));
        }
        if (recorded.startTime().isEmpty()) {
            Optional<Instant> since = process.info().startInstant();
            Optional<Instant> boot = PidFile.bootTime();
            if (since.isEmpty()
                    || written.isEmpty()
                    || boot.isEmpty()
                    || written.get().isBefore(boot.get())
                    || since.get().isAfter(written.get().plus(PID_FILE_SLACK))) {
                return Optional.of(
                        "started %s, not before the pid file (of an older agent, with no start time) was written since this boot"
                                .formatted(since.map(Instant::toString).orElse("at a time the agent cannot see")));
            }
            if (!Executables.runsArgumentsOf(process, spec)) {
                // Its arguments stay out of the log: another's process may carry a secret in them.
                return Optional.of("runs another command line than the instance's (the pid file, of an older agent,"
                        + " has no start time to tell its process by)");
            }
        }
        return Optional.empty();
    }

    private static Optional<Instant> modified(Path file) {
        try {
            return Optional.of(Files.getLastModifiedTime(file).toInstant());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    // Called with the operation lock held: takes over the process the pid file names, if any.
    private boolean adopt(Instance instance, InstanceSpec spec) {
        ProcessHandle process;
        synchronized (claims) {
            Optional<ProcessHandle> running = fromPidFile(instance, spec);
            if (running.isEmpty()) {
                return false;
            }
            process = running.get();
            instance.running(process, null, process.info().startInstant().orElseGet(Instant::now));
        }
        watch(instance, process, null);
        LOG.log(Level.INFO, "instance %s adopted, pid %d".formatted(instance.id, process.pid()));
        return true;
    }

    private void recover(Instance instance) {
        instance.operation.lock();
        try {
            synchronized (instance) {
                if (!instance.run || instance.removed) {
                    return;
                }
                instance.generation++;
            }
            // Adopts the process the pid file names when it is this instance's, else starts one.
            launch(instance);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "cannot recover instance %s: %s".formatted(instance.id, e.getMessage()), e);
        } finally {
            instance.operation.unlock();
        }
    }

    // Called with the operation lock held.
    private InstanceStatus startProcess(Instance instance) {
        synchronized (instance) {
            instance.generation++;
            cancelPendingRestart(instance);
            instance.run = true;
            instance.restarts = 0;
            instance.quickExits = 0;
            instance.exitsInARow = 0;
            persist(instance);
        }
        launch(instance);
        return instance.status();
    }

    // Called with the operation lock held.
    private InstanceStatus stopProcess(Instance instance, boolean persistDesired) {
        InstanceSpec spec;
        synchronized (instance) {
            // A new generation makes the exit watcher and any pending restart of the old one stand down.
            instance.generation++;
            cancelPendingRestart(instance);
            if (persistDesired) {
                instance.run = false;
                persist(instance);
            }
            spec = instance.spec;
        }
        // A process this agent lost track of (its instance file was damaged) is still ours to stop.
        // The operation lock keeps anyone else from recording a process meanwhile.
        synchronized (claims) {
            if (instance.pid() == 0) {
                fromPidFile(instance, spec).ifPresent(orphan -> instance.running(orphan, null, Instant.now()));
            }
        }
        ProcessHandle process;
        Process child;
        int stopTimeoutSeconds;
        synchronized (instance) {
            process = instance.process;
            child = instance.child;
            stopTimeoutSeconds = instance.spec.stopTimeoutSeconds();
            if (process == null) {
                if (instance.state != State.STOPPED) {
                    instance.state = State.STOPPED;
                    instance.since = Instant.now();
                }
                AtomicFiles.delete(pidFile(instance.id));
                return instance.status();
            }
        }
        String exit = terminate(instance.id, process, child, stopTimeoutSeconds);
        synchronized (instance) {
            instance.process = null;
            instance.child = null;
            instance.state = State.STOPPED;
            instance.since = Instant.now();
            instance.lastExit = exit;
            AtomicFiles.delete(pidFile(instance.id));
        }
        LOG.log(Level.INFO, "instance %s stopped, pid %d: %s".formatted(instance.id, process.pid(), exit));
        return instance.status();
    }

    private String terminate(String id, ProcessHandle process, Process child, int stopTimeoutSeconds) {
        CompletableFuture<?> exited = child != null ? child.onExit() : process.onExit();
        process.destroy();
        try {
            try {
                exited.get(stopTimeoutSeconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                LOG.log(
                        Level.WARNING,
                        "instance %s, pid %d, still runs %d s after SIGTERM; sending SIGKILL"
                                .formatted(id, process.pid(), stopTimeoutSeconds));
                process.destroyForcibly();
                exited.get(KILL_WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (TimeoutException e) {
            throw new AgentException(
                    Code.INTERNAL,
                    "instance %s, pid %d, still runs %d s after SIGKILL; it may be stuck in the kernel (state D)"
                            .formatted(id, process.pid(), KILL_WAIT.toSeconds()));
        } catch (ExecutionException e) {
            throw new AgentException(Code.INTERNAL, "cannot wait for instance %s: %s".formatted(id, e.getCause()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(Code.INTERNAL, "interrupted while stopping instance %s".formatted(id), e);
        }
        return describeExit(child);
    }

    // Called with the operation lock held and a generation that wants the process running.
    private void launch(Instance instance) {
        InstanceSpec spec;
        synchronized (instance) {
            spec = instance.spec;
        }
        if (adopt(instance, spec)) {
            return;
        }
        Process child;
        Instant started = Instant.now();
        try {
            heldPort(spec).ifPresent(held -> {
                throw new LaunchException(held + "; nothing was launched beside it");
            });
            child = spawn(spec);
        } catch (LaunchException e) {
            LOG.log(Level.WARNING, "instance %s could not start: %s".formatted(spec.id(), e.getMessage()));
            synchronized (instance) {
                instance.process = null;
                instance.child = null;
                exitedUnexpectedly(instance, "could not start: " + e.getMessage(), Duration.ZERO);
            }
            return;
        }
        ProcessHandle process = child.toHandle();
        synchronized (claims) {
            PidFile written = PidFile.of(process.pid());
            if (written.startTime().isPresent()) {
                // Without a start time (it ended at once) no pid file is written: it could name another later.
                written.write(pidFile(spec.id()));
            }
            instance.running(process, child, started);
        }
        LOG.log(Level.INFO, "instance %s started, pid %d: %s".formatted(spec.id(), process.pid(), spec.command()));
        watch(instance, process, child);
    }

    /**
     * A port of the instance that a process listens on already, said with its holder: a second
     * HAProxy would share it (SO_REUSEPORT) and a second MariaDB fail late. Empty when all are free.
     * Read from the kernel's table of listening sockets, on every address of the host: the spec does
     * not say which address the instance binds (by default all of them), and the pre-flight of a
     * deploy counts a port taken on any address as taken too.
     */
    private static Optional<String> heldPort(InstanceSpec spec) {
        return spec.ports().stream()
                .map(port -> Diagnosis.portOwner(port, 0))
                .flatMap(Optional::stream)
                .findFirst();
    }

    private Process spawn(InstanceSpec spec) {
        Path workDir = Path.of(spec.workDir());
        if (!Files.isDirectory(workDir)) {
            throw new LaunchException("working directory %s does not exist".formatted(workDir));
        }
        String program = spec.command().getFirst();
        Optional<Path> binary = Executables.resolve(program, workDir, spec.environment());
        if (binary.isEmpty()) {
            throw new LaunchException("binary %s not found".formatted(program));
        }
        if (!Files.isExecutable(binary.get())) {
            throw new LaunchException("binary %s is not executable".formatted(binary.get()));
        }
        List<String> command = new ArrayList<>();
        SETSID.ifPresent(setsid -> command.add(setsid.toString()));
        command.addAll(spec.command());
        Path logFile = workDir.resolve(spec.logFile());
        try {
            Files.createDirectories(logFile.getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectErrorStream(true);
            builder.environment().putAll(spec.environment());
            return builder.start();
        } catch (IOException e) {
            throw new LaunchException(e.getMessage());
        }
    }

    private void watch(Instance instance, ProcessHandle process, Process child) {
        long generation;
        synchronized (instance) {
            generation = instance.generation;
        }
        CompletableFuture<?> exited = child != null ? child.onExit() : process.onExit();
        exited.whenComplete((ignored, error) -> {
            try {
                exited(instance, process, child, generation);
            } catch (Throwable e) {
                LOG.log(Level.ERROR, "cannot handle the exit of instance %s: %s".formatted(instance.id, e), e);
            }
        });
    }

    private void exited(Instance instance, ProcessHandle process, Process child, long generation) {
        synchronized (instance) {
            if (closed || instance.removed || instance.generation != generation || instance.process != process) {
                // A stop or restart owns this exit, or this supervisor has handed over to another.
                return;
            }
            String exit = describeExit(child);
            Duration ran = Duration.between(instance.processStarted, Instant.now());
            instance.process = null;
            instance.child = null;
            AtomicFiles.delete(pidFile(instance.id));
            LOG.log(
                    Level.WARNING,
                    "instance %s, pid %d, %s after %d ms".formatted(instance.id, process.pid(), exit, ran.toMillis()));
            exitedUnexpectedly(instance, exit, ran);
        }
    }

    // Called holding the instance's monitor.
    private void exitedUnexpectedly(Instance instance, String exit, Duration ran) {
        instance.lastExit = exit;
        instance.since = Instant.now();
        instance.quickExits = ran.compareTo(policy.quickExit()) < 0 ? instance.quickExits + 1 : 0;
        if (ran.compareTo(policy.backoffResetAfter()) >= 0) {
            instance.exitsInARow = 0;
        }
        instance.exitsInARow++;
        if (instance.quickExits >= policy.maxQuickExits()) {
            instance.state = State.FAILED;
            LOG.log(
                    Level.ERROR,
                    "instance %s exited %d times in a row within %d s of starting; giving up until it is started again"
                            .formatted(
                                    instance.id,
                                    instance.quickExits,
                                    policy.quickExit().toSeconds()));
            return;
        }
        instance.state = State.BACKOFF;
        if (closed) {
            return;
        }
        Duration delay = policy.backoff(instance.exitsInARow);
        long generation = instance.generation;
        instance.pendingRestart = backoff.schedule(
                () -> Thread.ofVirtual()
                        .name("restart " + instance.id)
                        .start(() -> restartAfterBackoff(instance, generation)),
                delay.toMillis(),
                TimeUnit.MILLISECONDS);
        LOG.log(Level.INFO, "instance %s restarts in %d ms".formatted(instance.id, delay.toMillis()));
    }

    private void restartAfterBackoff(Instance instance, long generation) {
        try {
            instance.operation.lock();
            try {
                synchronized (instance) {
                    if (closed
                            || instance.removed
                            || instance.generation != generation
                            || instance.state != State.BACKOFF) {
                        return;
                    }
                    instance.restarts++;
                    instance.pendingRestart = null;
                }
                launch(instance);
            } finally {
                instance.operation.unlock();
            }
        } catch (Throwable e) {
            LOG.log(Level.ERROR, "cannot restart instance %s: %s".formatted(instance.id, e), e);
        }
    }

    private static void cancelPendingRestart(Instance instance) {
        if (instance.pendingRestart != null) {
            instance.pendingRestart.cancel(false);
            instance.pendingRestart = null;
        }
    }

    // Java reports death by signal N as exit status 128 + N, like a shell does.
    private static String describeExit(Process child) {
        if (child == null) {
            return "exited, status unknown (adopted from an earlier agent)";
        }
        int status = child.exitValue();
        return status > 128 && status < 128 + 65 ? "signal %d".formatted(status - 128) : "exit %d".formatted(status);
    }

    private void persist(Instance instance) {
        AtomicFiles.write(
                specFile(instance.id),
                json.writerWithDefaultPrettyPrinter()
                        .writeValueAsBytes(new StoredInstance(instance.spec, instance.run)));
    }

    private Instance instance(String id) {
        requireNonNull(id, "id is null");
        Instance instance = instances.get(id);
        if (instance == null) {
            throw unknown(id);
        }
        return instance;
    }

    private static void checkNotRemoved(Instance instance) {
        synchronized (instance) {
            if (instance.removed) {
                throw unknown(instance.id);
            }
        }
    }

    private static AgentException unknown(String id) {
        return new AgentException(
                Code.UNKNOWN_INSTANCE, "no instance %s on this agent; put its spec first".formatted(id));
    }

    private Path specFile(String id) {
        return instancesDir.resolve(fileName(id) + ".json");
    }

    private Path pidFile(String id) {
        return runDir.resolve(fileName(id) + ".pid");
    }

    /** The file name of an instance's spec and pid file: its id with {@code :} replaced by {@code _}. */
    static String fileName(String id) {
        return id.replace(':', '_');
    }

    private static final class LaunchException extends RuntimeException {
        LaunchException(String message) {
            super(message);
        }
    }

    private static final class Instance {
        private final String id;
        // Serialises start, stop, restart and remove of this instance; status reads only take the monitor.
        private final ReentrantLock operation = new ReentrantLock();
        private InstanceSpec spec;
        private boolean run;
        private boolean removed;
        private State state = State.STOPPED;
        private ProcessHandle process;
        private Process child;
        private Instant since = Instant.now();
        private Instant processStarted = Instant.now();
        private int restarts;
        private int quickExits;
        private int exitsInARow;
        private String lastExit = "";
        private long generation;
        private ScheduledFuture<?> pendingRestart;

        private Instance(InstanceSpec spec) {
            this.id = spec.id();
            this.spec = spec;
        }

        /** Records the process that now runs the instance; {@code child} is null for an adopted one. */
        private synchronized void running(ProcessHandle process, Process child, Instant started) {
            this.process = process;
            this.child = child;
            state = State.RUNNING;
            since = started;
            processStarted = started;
        }

        /** The pid of the process that runs the instance; 0 when none does. */
        private synchronized long pid() {
            return process == null ? 0 : process.pid();
        }

        private synchronized InstanceStatus status() {
            return new InstanceStatus(
                    id, spec.component(), state, process == null ? 0 : process.pid(), since, restarts, lastExit);
        }
    }
}
