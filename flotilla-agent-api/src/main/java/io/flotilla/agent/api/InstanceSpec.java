package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything the agent needs to supervise one component instance. Deploy writes it; the agent
 * keeps it on disk so that it survives the agent's own restart.
 *
 * @param id the instance id, {@code host:port}
 * @param component the component kind ({@code mariadb})
 * @param command the program and its arguments; no secret may appear here
 * @param environment extra environment variables
 * @param workDir the working directory (the instance's deploy dir)
 * @param logFile where stdout and stderr go
 * @param probe what "ready" means
 * @param stopTimeoutSeconds how long a stop waits after SIGTERM before SIGKILL
 * @param ports the ports the instance listens on, checked when it fails to become ready
 * @param dataDirs the directories it must be able to write, checked likewise
 * @param binaryPackage the Debian package that provides {@code command[0]}, named when it is missing
 * @param logFiles further logs of the instance that log search reads besides {@code logFile}; empty
 *     in specs written before log search
 * @param sql how the agent reaches the instance over SQL for its config, sessions, slow log and
 *     replication; {@code null} for components that do not speak SQL, and in older specs
 */
public record InstanceSpec(
        String id,
        String component,
        List<String> command,
        Map<String, String> environment,
        String workDir,
        String logFile,
        Probe probe,
        int stopTimeoutSeconds,
        List<Integer> ports,
        List<String> dataDirs,
        String binaryPackage,
        List<String> logFiles,
        SqlAdmin sql) {
    public InstanceSpec {
        requireNonNull(id, "id is null");
        requireNonNull(component, "component is null");
        command = List.copyOf(requireNonNull(command, "command is null"));
        environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        requireNonNull(workDir, "workDir is null");
        requireNonNull(logFile, "logFile is null");
        requireNonNull(probe, "probe is null");
        ports = List.copyOf(requireNonNull(ports, "ports is null"));
        dataDirs = List.copyOf(requireNonNull(dataDirs, "dataDirs is null"));
        requireNonNull(binaryPackage, "binaryPackage is null");
        // A spec stored by an agent that knew neither field reads back as null.
        logFiles = logFiles == null ? List.of() : List.copyOf(logFiles);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("instance %s has an empty command".formatted(id));
        }
    }

    /** Every log of the instance, its output first. */
    public List<String> allLogFiles() {
        List<String> all = new ArrayList<>();
        all.add(logFile);
        logFiles.stream().filter(file -> !file.equals(logFile)).forEach(all::add);
        return List.copyOf(all);
    }
}
