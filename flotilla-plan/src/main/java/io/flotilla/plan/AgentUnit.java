package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A cluster's agent as a systemd user unit of the deploy user, {@code flotilla-agent-<cluster>.service}
 * in its {@code ~/.config/systemd/user}: where a host runs systemd and lingering is on for that user
 * (the bootstrap turns it on as root), the user's own {@code systemd --user} starts the agent at boot
 * and again when it dies, and the deploy user manages it with no sudo at all. Elsewhere the agent
 * runs detached, as before.
 *
 * <p>The agent supervises its instances as its children. Stopping or restarting the agent leaves them
 * running (the next agent adopts them), so the unit kills the agent's own process only
 * ({@code KillMode=process}), as the exit of a detached agent leaves its children alone.
 *
 * @param cluster the cluster's name, which names the unit
 */
public record AgentUnit(String cluster) {
    private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * The marker, in the deploy user's home, that the bootstrap leaves when it (not the host's owner)
     * turned lingering on for the user.
     */
    public static final String LINGER_MARKER = ".config/flotilla/enabled-linger";

    /**
     * Prints "yes" when systemd (240 or later) runs the host, lingering is on for the user and the
     * user's {@code systemd --user} answers. Lingering was just turned on by the bootstrap: the user's
     * manager may still be starting, so it is given a few seconds.
     */
    private static final String AVAILABLE = """
            [ -d /run/systemd/system ] || exit 0
            command -v systemctl >/dev/null 2>&1 || exit 0
            # Type=exec and StandardOutput=append: came with systemd 240.
            [ "$(systemctl --version | awk 'NR == 1 { print $2 }')" -ge 240 ] 2>/dev/null || exit 0
            [ -e "/var/lib/systemd/linger/$(id -un)" ] || exit 0
            export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}"
            for attempt in $(seq 50); do
              systemctl --user show-environment >/dev/null 2>&1 && { echo yes; exit 0; }
              sleep 0.2
            done
            """;

    /** Loads the unit file again and starts the unit unless it runs; it starts at boot too. */
    private static final String START = """
            export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}"
            systemctl --user daemon-reload && systemctl --user enable --quiet "$1" && systemctl --user start "$1"
            """;

    /**
     * Stops and disables the unit, removes its file, and turns lingering off when the bootstrap
     * turned it on and no other cluster's agent is a unit of this user. The user's processes are
     * stopped by then (destroy stops every instance first).
     */
    private static final String REMOVE = """
            unit=$1 marker="$HOME/$2"
            export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}"
            dir="$HOME/.config/systemd/user"
            if systemctl --user show-environment >/dev/null 2>&1; then
              systemctl --user disable --now --quiet "$unit" 2>/dev/null || systemctl --user stop "$unit" 2>/dev/null
            fi
            rm -f "$dir/$unit" "$dir/default.target.wants/$unit"
            if systemctl --user show-environment >/dev/null 2>&1; then
              systemctl --user daemon-reload
              systemctl --user reset-failed "$unit" 2>/dev/null
            fi
            rmdir "$dir/default.target.wants" "$dir" 2>/dev/null
            if [ -e "$marker" ] && ! ls "$dir"/flotilla-agent-*.service >/dev/null 2>&1; then
              # Allowed to a user for itself by logind's default polkit rule; kept, with its marker, where refused.
              loginctl disable-linger "$(id -un)" && rm -f "$marker" && rmdir "$(dirname "$marker")" 2>/dev/null
            fi
            exit 0
            """;

    public AgentUnit {
        requireNonNull(cluster, "cluster is null");
        if (!CLUSTER_NAME.matcher(cluster).matches()) {
            throw new IllegalArgumentException(
                    "cluster name '%s' cannot name a systemd unit: use letters, digits, '-', '_' and '.'"
                            .formatted(cluster));
        }
    }

    /** {@code flotilla-agent-<cluster>.service}. */
    String name() {
        return "flotilla-agent-%s.service".formatted(cluster);
    }

    /** Whether the deploy user's systemd can run the agent on the executor's host. */
    static boolean available(Executor executor) {
        return executor.run(List.of("sh", "-c", AVAILABLE), TIMEOUT)
                .stdout()
                .strip()
                .equals("yes");
    }

    /** Where the unit file is on the host: in the deploy user's home. */
    Path file(Executor executor) {
        String home = executor.check(List.of("sh", "-c", "printf '%s' \"$HOME\""), TIMEOUT)
                .stdout();
        if (!home.startsWith("/")) {
            throw new OperationException(
                    ErrorCode.AGENT_UNIT,
                    "the deploy user has no home on %s (HOME is '%s'): its systemd user unit %s has no place; give the user a home"
                            .formatted(executor.host(), home, name()));
        }
        return Path.of(home, ".config/systemd/user", name());
    }

    /** Writes the unit (again, when the agent's command changed) and starts it unless it runs. */
    void start(Executor executor, List<String> command, Path agentDir, Path log) {
        Path file = file(executor);
        executor.mkdirs(file.getParent().toString(), "0755");
        executor.put(file.toString(), text(command, agentDir, log).getBytes(StandardCharsets.UTF_8), "0644");
        CommandResult started = executor.run(List.of("sh", "-c", START, "flotilla-agent-unit", name()), TIMEOUT);
        if (!started.succeeded()) {
            throw new OperationException(
                    ErrorCode.AGENT_START,
                    "systemd of the deploy user on %s did not start %s (exit code %d): %s; see `systemctl --user status %s` there"
                            .formatted(
                                    executor.host(),
                                    name(),
                                    started.exitCode(),
                                    Executor.lastLines((started.stderr() + started.stdout()).strip(), 5),
                                    name()));
        }
    }

    /** Whether the unit file is on the host, whatever runs the agent now. */
    boolean installed(Executor executor) {
        return executor.exists(file(executor).toString());
    }

    /** Stops the agent's unit, removes it, and lingering with it when Flotilla alone wanted it. */
    void remove(Executor executor) {
        executor.check(List.of("sh", "-c", REMOVE, "flotilla-agent-unit", name(), LINGER_MARKER), TIMEOUT);
    }

    /**
     * The unit file. The command carries no secret (the agent reads its token from its folder); the
     * agent's log is the file a detached agent writes, so that errors quote it either way.
     */
    String text(List<String> command, Path agentDir, Path log) {
        List<String> words = new ArrayList<>(command);
        words.add(agentDir.toString());
        words.add(log.toString());
        for (String word : words) {
            if (word.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new OperationException(
                        ErrorCode.AGENT_UNIT,
                        "'%s' holds a control character, which cannot go into the systemd unit %s; choose a deploy_dir without one"
                                .formatted(word.replaceAll("\\p{Cntrl}", "?"), name()));
            }
        }
        return """
                # Written by Flotilla for cluster %1$s; `flotilla cluster destroy %1$s` removes it.
                [Unit]
                Description=Flotilla agent of cluster %1$s

                [Service]
                Type=exec
                ExecStart=%2$s
                WorkingDirectory=%3$s
                StandardOutput=append:%4$s
                StandardError=inherit
                Restart=on-failure
                RestartSec=2s
                # The agent's instances are its children and outlive it: the next agent adopts them.
                KillMode=process
                # The JVM exits with 128+15 on SIGTERM, which is how systemd stops it; killed after 10 s, as a detached agent is.
                SuccessExitStatus=143
                TimeoutStopSec=10s
                Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

                [Install]
                WantedBy=default.target
                """.formatted(
                        cluster,
                        command.stream().map(AgentUnit::quote).collect(Collectors.joining(" ")),
                        specifiers(agentDir.toString()),
                        specifiers(log.toString()));
    }

    /** One word of ExecStart: double-quoted, with systemd's escapes for backslash, quote, '%' and '$'. */
    static String quote(String word) {
        return "\""
                + specifiers(word.replace("\\", "\\\\").replace("\"", "\\\"")).replace("$", "$$")
                + "\"";
    }

    private static String specifiers(String text) {
        return text.replace("%", "%%");
    }
}
