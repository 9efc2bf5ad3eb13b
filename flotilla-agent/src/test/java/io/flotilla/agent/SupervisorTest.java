package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.InstanceSpec;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.InstanceStatus.State;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.RestartPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SupervisorTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final RestartPolicy FAST = new RestartPolicy(
            Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(10), 5, Duration.ofMinutes(1));

    @TempDir
    Path dir;

    private final List<Supervisor> supervisors = new ArrayList<>();
    private final List<Long> pids = new ArrayList<>();

    @AfterEach
    void killEverything() {
        for (Supervisor supervisor : supervisors) {
            for (InstanceStatus status : supervisor.statuses()) {
                pids.add(status.pid());
            }
            supervisor.close();
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void startAndStopAreIdempotent() throws IOException {
        Supervisor supervisor = open();
        supervisor.put(spec("127.0.0.1:7001", "sleep", "300"));
        assertThat(supervisor.status("127.0.0.1:7001").state()).isEqualTo(State.STOPPED);

        InstanceStatus started = remember(supervisor.start("127.0.0.1:7001"));
        assertThat(started.state()).isEqualTo(State.RUNNING);
        assertThat(started.pid()).isPositive();
        // setsid execs the command in the same process, a moment after it starts.
        assertEventually(
                WAIT,
                () -> assertThat(ProcessHandle.of(started.pid())
                                .flatMap(process -> process.info().command()))
                        .hasValueSatisfying(command -> assertThat(command).endsWith("/sleep")));
        Path pidFile = dir.resolve("agent/run/127.0.0.1_7001.pid");
        assertThat(Files.readString(pidFile))
                .as("the pid and the start time, as the bootstrap's pid file has them")
                .isEqualTo("%d %s\n".formatted(started.pid(), startTime(started.pid())));
        assertThat(supervisor.start("127.0.0.1:7001").pid()).isEqualTo(started.pid());

        InstanceStatus stopped = supervisor.stop("127.0.0.1:7001");
        assertThat(stopped.state()).isEqualTo(State.STOPPED);
        assertThat(stopped.pid()).isZero();
        assertThat(stopped.lastExit()).isEqualTo("signal 15");
        assertThat(ProcessHandle.of(started.pid())).isEmpty();
        assertThat(pidFile).doesNotExist();
        assertThat(supervisor.stop("127.0.0.1:7001").state()).isEqualTo(State.STOPPED);
    }

    @Test
    void processRunsInItsOwnSessionWithTheSpecsDirectoryEnvironmentAndLog() throws IOException {
        Supervisor supervisor = open();
        Path work = Files.createDirectories(dir.resolve("work"));
        InstanceSpec spec = new InstanceSpec(
                "127.0.0.1:7002",
                "test",
                List.of(
                        "sh",
                        "-c",
                        "echo \"in $(pwd) with $GREETING\"; read line; echo \"stdin gave ${line:-nothing}\"; exec sleep 300"),
                Map.of("GREETING", "hello"),
                work.toString(),
                dir.resolve("log/7002.log").toString(),
                Probe.allOf(),
                5,
                List.of(),
                List.of(),
                "",
                List.of(),
                null);
        supervisor.put(spec);
        long pid = remember(supervisor.start(spec.id())).pid();

        assertEventually(
                WAIT,
                () -> assertThat(Files.readAllLines(dir.resolve("log/7002.log")))
                        .containsExactly("in %s with hello".formatted(work), "stdin gave nothing"));
        String stat = Files.readString(Path.of("/proc/%d/stat".formatted(pid)));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertThat(fields[3]).as("session id").isEqualTo(Long.toString(pid));
    }

    @Test
    void restartsAProcessThatWasKilled() {
        Supervisor supervisor = open();
        supervisor.put(spec("127.0.0.1:7003", "sleep", "300"));
        long first = remember(supervisor.start("127.0.0.1:7003")).pid();

        ProcessHandle.of(first).orElseThrow().destroyForcibly();

        assertEventually(WAIT, () -> {
            InstanceStatus status = supervisor.status("127.0.0.1:7003");
            assertThat(status.state()).isEqualTo(State.RUNNING);
            assertThat(status.pid()).isNotIn(0L, first);
            assertThat(status.restarts()).isEqualTo(1);
            assertThat(status.lastExit()).isEqualTo("signal 9");
        });
        remember(supervisor.status("127.0.0.1:7003"));
    }

    @Test
    void givesUpAfterFiveQuickExitsUntilStartedAgain() throws IOException {
        Supervisor supervisor = open();
        supervisor.put(spec("127.0.0.1:7004", "sh", "-c", "echo attempt; exit 1"));
        supervisor.start("127.0.0.1:7004");

        assertEventually(
                WAIT,
                () -> assertThat(supervisor.status("127.0.0.1:7004").state()).isEqualTo(State.FAILED));
        InstanceStatus failed = supervisor.status("127.0.0.1:7004");
        assertThat(failed.restarts()).isEqualTo(4);
        assertThat(failed.lastExit()).isEqualTo("exit 1");
        assertThat(failed.pid()).isZero();
        assertThat(Files.readAllLines(logOf("7004"))).hasSize(5);

        supervisor.start("127.0.0.1:7004");
        assertEventually(
                WAIT, () -> assertThat(Files.readAllLines(logOf("7004"))).hasSize(10));
        assertEventually(
                WAIT,
                () -> assertThat(supervisor.status("127.0.0.1:7004").state()).isEqualTo(State.FAILED));
    }

    @Test
    void aMissingBinaryCountsAsAQuickExit() {
        Supervisor supervisor = open();
        supervisor.put(spec("127.0.0.1:7005", "/nonexistent/flotilla-test-binary"));
        supervisor.start("127.0.0.1:7005");

        assertEventually(
                WAIT,
                () -> assertThat(supervisor.status("127.0.0.1:7005"))
                        .extracting(InstanceStatus::state, InstanceStatus::lastExit)
                        .containsExactly(
                                State.FAILED, "could not start: binary /nonexistent/flotilla-test-binary not found"));
    }

    // The instance listens on every address by default: a port held on another address of the
    // host (where a bind to the id's host alone succeeds) or on all of them is held too.
    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.2", "0.0.0.0"})
    void nothingIsLaunchedWhileAnotherProcessHoldsTheInstancesPort(String holderAddress) throws IOException {
        Supervisor supervisor = open();
        try (ServerSocket holder = new ServerSocket()) {
            holder.bind(new InetSocketAddress(holderAddress, 0));
            int port = holder.getLocalPort();
            String id = "127.0.0.1:" + port;
            supervisor.put(withPorts(spec(id, "sleep", "300"), port));
            supervisor.start(id);
            assertEventually(
                    WAIT,
                    () -> assertThat(supervisor.status(id))
                            .extracting(InstanceStatus::state, InstanceStatus::lastExit)
                            .containsExactly(
                                    State.FAILED,
                                    "could not start: port %d is in use by pid %d (java); nothing was launched beside it"
                                            .formatted(
                                                    port,
                                                    ProcessHandle.current().pid())));
            assertThat(supervisor.status(id).pid()).isZero();
            holder.close();
            assertThat(remember(supervisor.start(id)).state()).isEqualTo(State.RUNNING);
        }
    }

    @Test
    void aDamagedInstanceFileIsSetAsideAndItsProcessAdoptedInsteadOfStartedTwice() throws IOException {
        Supervisor first = open();
        InstanceSpec spec = spec("127.0.0.1:7030", "sleep", "302");
        first.put(spec);
        long pid = remember(first.start(spec.id())).pid();
        first.close();
        Path file = dir.resolve("agent/instances/127.0.0.1_7030.json");
        Files.writeString(file, "{\"spec\": {\"id\": \"127.0.0.1:7");

        Supervisor second = open();
        second.recover();
        assertThat(file).doesNotExist();
        try (var damaged = Files.list(dir.resolve("agent/instances/damaged"))) {
            assertThat(damaged.map(path -> path.getFileName().toString()))
                    .singleElement()
                    .satisfies(name -> assertThat(name).startsWith("127.0.0.1_7030.json."));
        }
        assertThatThrownBy(() -> second.status(spec.id())).isInstanceOf(AgentException.class);
        assertThat(ProcessHandle.of(pid)).as("its process keeps running").isPresent();

        // The deploy's start puts the spec again: the process the pid file names is taken over.
        second.put(spec);
        assertThat(second.start(spec.id()).pid()).isEqualTo(pid);
        second.remove(spec.id());
        assertEventually(WAIT, () -> assertThat(ProcessHandle.of(pid)).isEmpty());
    }

    @Test
    void destroyStopsAProcessItsInstanceFileNoLongerNamed() throws IOException {
        Supervisor first = open();
        InstanceSpec spec = spec("127.0.0.1:7031", "sleep", "303");
        first.put(spec);
        long pid = remember(first.start(spec.id())).pid();
        first.close();
        Files.writeString(dir.resolve("agent/instances/127.0.0.1_7031.json"), "not json");
        Supervisor second = open();
        second.recover();

        // The calls of destroy's steps (ClusterPlanner.stopInstance, then removeInstance): a stop the
        // agent answers with UNKNOWN_INSTANCE has the spec of the topology put, and is made again.
        assertThatThrownBy(() -> second.stop(spec.id()))
                .isInstanceOfSatisfying(
                        AgentException.class, e -> assertThat(e.code()).isEqualTo(Code.UNKNOWN_INSTANCE));
        second.put(spec);
        assertThat(ProcessHandle.of(pid))
                .as("a put alone starts nothing and stops nothing")
                .isPresent();
        InstanceStatus stopped = second.stop(spec.id());
        assertThat(stopped.state()).isEqualTo(State.STOPPED);
        assertThat(stopped.lastExit()).isEqualTo("exited, status unknown (adopted from an earlier agent)");
        assertThat(ProcessHandle.of(pid)).isEmpty();
        second.remove(spec.id());
        assertThat(dir.resolve("agent/run/127.0.0.1_7031.pid")).doesNotExist();
        assertThat(dir.resolve("agent/instances/127.0.0.1_7031.json")).doesNotExist();
    }

    @Test
    void destroyOfADamagedInstanceLeavesAloneTheProcessAStalePidFileNames() throws IOException {
        Supervisor first = open();
        InstanceSpec spec = spec("127.0.0.1:7032", "sleep", "304");
        first.put(spec);
        first.close();
        Files.writeString(dir.resolve("agent/instances/127.0.0.1_7032.json"), "not json");
        // After a reboot, the pid an older agent wrote is another process's, of the same program.
        long stranger = stranger("sleep", "305");
        writtenBefore(pidFileOf(spec.id()), stranger + "\n");
        Supervisor second = open();
        second.recover();

        second.put(spec);
        assertThat(second.stop(spec.id()).pid()).isZero();
        second.remove(spec.id());

        assertThat(ProcessHandle.of(stranger))
                .as("not Flotilla's, so never stopped")
                .isPresent();
    }

    @Test
    void anOlderPidFileNamingAProcessStartedAfterItWasWrittenIsNeitherAdoptedNorStopped() throws IOException {
        Supervisor supervisor = open();
        InstanceSpec spec = spec("127.0.0.1:7040", "sleep", "310");
        supervisor.put(spec);
        long stranger = stranger("sleep", "311");

        writtenBefore(pidFileOf(spec.id()), stranger + "\n");
        assertThat(supervisor.stop(spec.id()).pid()).isZero();
        assertThat(ProcessHandle.of(stranger)).as("a stop leaves it alone").isPresent();

        writtenBefore(pidFileOf(spec.id()), stranger + "\n");
        long started = remember(supervisor.start(spec.id())).pid();
        assertThat(started).as("a start launches the instance's own").isNotEqualTo(stranger);
        supervisor.remove(spec.id());

        assertThat(ProcessHandle.of(started)).isEmpty();
        assertThat(ProcessHandle.of(stranger)).as("a remove leaves it alone").isPresent();
    }

    @Test
    void anOlderPidFileIsStillReadWhenItsProcessStartedBeforeItWasWritten() throws IOException {
        Supervisor supervisor = open();
        InstanceSpec spec = spec("127.0.0.1:7041", "sh", "-c", "sleep 312; :", "sh");
        supervisor.put(spec);
        // A process of the same program with other arguments, named by a file written after it started.
        long other = stranger("sh", "-c", "sleep 313; :", "sh");
        Files.writeString(pidFileOf(spec.id()), other + "\n");
        assertThat(supervisor.stop(spec.id()).pid()).isZero();
        assertThat(ProcessHandle.of(other)).as("not the spec's command line").isPresent();
        // The spec's command line and what HAProxy's master adds on a reload (-sf PIDS) are ours.
        long older = stranger("sh", "-c", "sleep 312; :", "sh", "-sf", "101", "102");
        Files.writeString(pidFileOf(spec.id()), older + "\n");

        assertThat(supervisor.start(spec.id()).pid()).isEqualTo(older);
        assertThat(Files.readString(pidFileOf(spec.id())))
                .as("written again in this agent's form, with the start time")
                .matches(older + " \\d+\n");
        supervisor.stop(spec.id());

        assertEventually(WAIT, () -> assertThat(ProcessHandle.of(older)).isEmpty());
    }

    /** A pid file an older agent wrote a minute before: a process started now is not the one it named. */
    @Test
    void anOlderPidFileFromBeforeThisBootIsNotTrusted() throws IOException {
        Supervisor supervisor = open();
        InstanceSpec spec = spec("127.0.0.1:7043", "sleep", "314");
        supervisor.put(spec);
        long process = stranger("sleep", "314");
        Files.writeString(pidFileOf(spec.id()), process + "\n");
        Files.setLastModifiedTime(pidFileOf(spec.id()), java.nio.file.attribute.FileTime.fromMillis(0));
        assertThat(supervisor.stop(spec.id()).pid()).isZero();
        assertThat(ProcessHandle.of(process)).isPresent();
    }

    private static void writtenBefore(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setLastModifiedTime(
                file, java.nio.file.attribute.FileTime.from(Instant.now().minusSeconds(60)));
    }

    @Test
    void aPidFileWhoseStartTimeIsNotTheProcesssIsNotAdopted() throws IOException {
        Supervisor supervisor = open();
        InstanceSpec spec = spec("127.0.0.1:7042", "sleep", "313");
        supervisor.put(spec);
        // The very command line of the spec: only the start time tells that it is not the instance's.
        long stranger = stranger("sleep", "313");
        long startTime = Long.parseLong(startTime(stranger));
        String otherTime = "%d %d\n".formatted(stranger, startTime + 1);

        Files.writeString(pidFileOf(spec.id()), otherTime);
        assertThat(supervisor.stop(spec.id()).pid()).isZero();
        Files.writeString(pidFileOf(spec.id()), otherTime);
        long started = remember(supervisor.start(spec.id())).pid();
        assertThat(started).isNotEqualTo(stranger);
        supervisor.stop(spec.id());
        assertThat(ProcessHandle.of(stranger)).isPresent();

        // With its own start time, the same process is taken over.
        Files.writeString(pidFileOf(spec.id()), "%d %d\n".formatted(stranger, startTime));
        assertThat(supervisor.start(spec.id()).pid()).isEqualTo(stranger);
    }

    @Test
    void aPidFileNamingAnotherInstancesProcessIsRefused() throws IOException {
        Supervisor supervisor = open();
        InstanceSpec owner = spec("127.0.0.1:7043", "sleep", "314");
        InstanceSpec other = spec("127.0.0.1:7044", "sleep", "314");
        supervisor.put(owner);
        supervisor.put(other);
        long pid = remember(supervisor.start(owner.id())).pid();
        awaitExec(pid, "sleep", "314");

        Files.copy(pidFileOf(owner.id()), pidFileOf(other.id()));
        assertThat(supervisor.stop(other.id()).pid()).isZero();
        assertThat(ProcessHandle.of(pid))
                .as("a stop of the other leaves it alone")
                .isPresent();
        Files.copy(pidFileOf(owner.id()), pidFileOf(other.id()));
        long started = remember(supervisor.start(other.id())).pid();
        assertThat(started).isNotEqualTo(pid);
        supervisor.remove(other.id());

        assertThat(ProcessHandle.of(pid)).isPresent();
        assertThat(supervisor.status(owner.id()))
                .extracting(InstanceStatus::state, InstanceStatus::pid)
                .containsExactly(State.RUNNING, pid);
    }

    @Test
    void twoPidFilesNamingOneProcessGiveItToOneInstanceOnly() throws IOException {
        Supervisor first = open();
        InstanceSpec one = spec("127.0.0.1:7045", "sleep", "315");
        InstanceSpec two = spec("127.0.0.1:7046", "sleep", "315");
        first.put(one);
        first.put(two);
        long pid = remember(first.start(one.id())).pid();
        long gone = remember(first.start(two.id())).pid();
        awaitExec(pid, "sleep", "315");
        first.close();
        ProcessHandle killed = ProcessHandle.of(gone).orElseThrow();
        killed.destroyForcibly();
        killed.onExit().join();
        Files.copy(pidFileOf(one.id()), pidFileOf(two.id()), StandardCopyOption.REPLACE_EXISTING);

        Supervisor second = open();
        second.recover();

        List<Long> running = List.of(
                remember(second.status(one.id())).pid(),
                remember(second.status(two.id())).pid());
        assertThat(running).doesNotHaveDuplicates().contains(pid).doesNotContain(0L);
    }

    @Test
    void killsAProcessThatIgnoresSigtermAfterTheStopTimeout() {
        Supervisor supervisor = open();
        // An ignored signal stays ignored across exec, so sleep itself ignores SIGTERM.
        InstanceSpec spec = withStopTimeout(spec("127.0.0.1:7006", "sh", "-c", "trap '' TERM; exec sleep 300"), 1);
        supervisor.put(spec);
        long pid = remember(supervisor.start(spec.id())).pid();
        // Once sh has exec'd sleep, the trap is in place.
        assertEventually(
                WAIT,
                () -> assertThat(ProcessHandle.of(pid)
                                .flatMap(process -> process.info().command()))
                        .hasValueSatisfying(command -> assertThat(command).endsWith("/sleep")));

        long before = System.nanoTime();
        InstanceStatus stopped = supervisor.stop(spec.id());

        assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(stopped.lastExit()).isEqualTo("signal 9");
        assertThat(ProcessHandle.of(pid)).isEmpty();
    }

    @Test
    void aNewSupervisorAdoptsTheRunningProcessInsteadOfStartingAnother() {
        Supervisor first = open();
        first.put(spec("127.0.0.1:7007", "sleep", "300"));
        first.put(spec("127.0.0.1:7008", "sleep", "301"));
        long pid = remember(first.start("127.0.0.1:7007")).pid();
        first.close();

        Supervisor second = open();
        assertThat(second.status("127.0.0.1:7007").state()).isEqualTo(State.STOPPED);
        second.recover();

        InstanceStatus adopted = second.status("127.0.0.1:7007");
        assertThat(adopted.state()).isEqualTo(State.RUNNING);
        assertThat(adopted.pid()).isEqualTo(pid);
        assertThat(second.status("127.0.0.1:7008").state()).isEqualTo(State.STOPPED);

        InstanceStatus stopped = second.stop("127.0.0.1:7007");
        assertThat(stopped.lastExit()).isEqualTo("exited, status unknown (adopted from an earlier agent)");
        assertThat(ProcessHandle.of(pid)).isEmpty();
    }

    @Test
    void aNewSupervisorStartsAnInstanceWhoseProcessDied() {
        Supervisor first = open();
        first.put(spec("127.0.0.1:7009", "sleep", "300"));
        long pid = remember(first.start("127.0.0.1:7009")).pid();
        first.close();
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow();
        process.destroyForcibly();
        process.onExit().join();

        Supervisor second = open();
        second.recover();

        InstanceStatus status = remember(second.status("127.0.0.1:7009"));
        assertThat(status.state()).isEqualTo(State.RUNNING);
        assertThat(status.pid()).isNotEqualTo(pid);
    }

    @Test
    void aChangedSpecTakesEffectAtTheNextRestart() throws IOException {
        Supervisor supervisor = open();
        supervisor.put(spec("127.0.0.1:7010", "sleep", "300"));
        long first = remember(supervisor.start("127.0.0.1:7010")).pid();

        supervisor.put(spec("127.0.0.1:7010", "sleep", "301"));
        assertThat(supervisor.status("127.0.0.1:7010").pid()).isEqualTo(first);
        // Right after the fork, /proc shows the launcher until it has exec()ed the command.
        assertEventually(
                Duration.ofSeconds(5), () -> assertThat(arguments(first)).containsExactly("300"));

        long second = remember(supervisor.restart("127.0.0.1:7010")).pid();
        assertThat(second).isNotEqualTo(first);
        assertEventually(
                Duration.ofSeconds(5), () -> assertThat(arguments(second)).containsExactly("301"));
        assertThat(ProcessHandle.of(first)).isEmpty();
    }

    @Test
    void storesSpecsAsJsonNamedAfterTheId() throws IOException {
        Supervisor supervisor = open();
        supervisor.put(spec("127.0.0.1:7011", "sleep", "300"));

        String stored = Files.readString(dir.resolve("agent/instances/127.0.0.1_7011.json"));
        assertThat(stored).contains("\"run\" : false", "\"id\" : \"127.0.0.1:7011\"", "\"type\" : \"allOf\"");
        supervisor.start("127.0.0.1:7011");
        remember(supervisor.status("127.0.0.1:7011"));
        assertThat(Files.readString(dir.resolve("agent/instances/127.0.0.1_7011.json")))
                .contains("\"run\" : true");
    }

    @Test
    void removeStopsAndForgets() {
        Supervisor supervisor = open();
        supervisor.put(spec("127.0.0.1:7012", "sleep", "300"));
        long pid = remember(supervisor.start("127.0.0.1:7012")).pid();

        supervisor.remove("127.0.0.1:7012");

        assertThat(ProcessHandle.of(pid)).isEmpty();
        assertThat(dir.resolve("agent/instances/127.0.0.1_7012.json")).doesNotExist();
        assertThat(supervisor.statuses()).isEmpty();
        assertThatThrownBy(() -> supervisor.status("127.0.0.1:7012"))
                .isInstanceOf(AgentException.class)
                .hasMessage("no instance 127.0.0.1:7012 on this agent; put its spec first");
        assertThat(open().statuses()).isEmpty();
    }

    @Test
    void refusesAnIdThatIsNotAFileName() {
        Supervisor supervisor = open();

        assertThatThrownBy(() -> supervisor.put(spec("../etc", "sleep", "1")))
                .isInstanceOf(AgentException.class)
                .hasMessage("instance id \"../etc\" must be 1 to 200 letters, digits or . _ - : [ ]");
    }

    @Test
    void backoffDoublesUpToItsMaximum() {
        RestartPolicy policy = RestartPolicy.DEFAULT;

        assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 50).stream()
                        .map(policy::backoff)
                        .map(Duration::toSeconds))
                .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
    }

    /**
     * A process of the test's own, not the supervisor's, once it runs {@code command}: what a pid file
     * may name after a reboot or when a pid is used again.
     */
    private long stranger(String... command) throws IOException {
        long pid = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start()
                .pid();
        pids.add(pid);
        awaitExec(pid, command);
        return pid;
    }

    // Right after the fork, /proc shows the launcher until it has exec()ed the command.
    private static void awaitExec(long pid, String... command) {
        assertEventually(WAIT, () -> assertThat(commandLine(pid)).containsExactly(command));
    }

    /** Field 22 of /proc/PID/stat, read the way the bootstrap's shell reads it. */
    private static String startTime(long pid) throws IOException {
        try {
            Process cut = new ProcessBuilder("cut", "-d", " ", "-f", "22", "/proc/%d/stat".formatted(pid)).start();
            String out = new String(cut.getInputStream().readAllBytes(), UTF_8).strip();
            assertThat(cut.waitFor()).isZero();
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private Path pidFileOf(String id) throws IOException {
        return Files.createDirectories(dir.resolve("agent/run")).resolve(Supervisor.fileName(id) + ".pid");
    }

    private Supervisor open() {
        Supervisor supervisor = Supervisor.open(dir.resolve("agent"), FAST);
        supervisors.add(supervisor);
        return supervisor;
    }

    private InstanceStatus remember(InstanceStatus status) {
        pids.add(status.pid());
        return status;
    }

    private InstanceSpec spec(String id, String... command) {
        return new InstanceSpec(
                id,
                "test",
                List.of(command),
                Map.of(),
                dir.toString(),
                logOf(id.substring(id.indexOf(':') + 1)).toString(),
                Probe.allOf(),
                5,
                List.of(),
                List.of(),
                "",
                List.of(),
                null);
    }

    private Path logOf(String port) {
        return dir.resolve("log/%s.log".formatted(port));
    }

    private static InstanceSpec withPorts(InstanceSpec spec, int port) {
        return with(spec, spec.stopTimeoutSeconds(), List.of(port));
    }

    private static InstanceSpec withStopTimeout(InstanceSpec spec, int seconds) {
        return with(spec, seconds, spec.ports());
    }

    private static InstanceSpec with(InstanceSpec spec, int stopTimeoutSeconds, List<Integer> ports) {
        return new InstanceSpec(
                spec.id(),
                spec.component(),
                spec.command(),
                spec.environment(),
                spec.workDir(),
                spec.logFile(),
                spec.probe(),
                stopTimeoutSeconds,
                ports,
                spec.dataDirs(),
                spec.binaryPackage(),
                List.of(),
                null);
    }

    private static List<String> arguments(long pid) throws IOException {
        List<String> cmdline = commandLine(pid);
        return cmdline.subList(1, cmdline.size());
    }

    private static List<String> commandLine(long pid) throws IOException {
        return List.of(Files.readString(Path.of("/proc/%d/cmdline".formatted(pid)), UTF_8)
                .split("\0"));
    }
}
