package io.flotilla.plan;

import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.Instance;
import io.flotilla.topology.SystemFolders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The directories of a cluster's instances on their hosts, and the proof that Flotilla made them: a
 * marker file, {@value #MARKER}, written into each the moment it is created (or found empty), naming
 * the cluster. Deploy uses a dir only when it is absent, empty or marked for this cluster, so that a
 * resumed deploy goes on and anything else is left as it was; destroy and scale-in remove only a dir
 * marked so; emptying a data dir keeps its marker.
 */
final class InstanceDirs {
    static final String MARKER = ".flotilla-owner";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * For each dir after the marker's file name ($1) and text ($2): its state, the dir, where it
     * resolves to and what the state needs said, tab-separated (names in the last field are
     * separated by '/', which no name holds). A dir's first names are enough to recognise it; a
     * marker that a run cut short left half-written ($1.PID) does not count.
     */
    private static final String INSPECT = """
            file=$1 marker=$2; shift 2
            for dir in "$@"; do
              real=$(realpath -m -- "$dir")
              if [ -L "$dir" ]; then printf 'symlink\\t%s\\t%s\\t%s\\n' "$dir" "$real" "$(readlink -- "$dir" | tr '\\t\\n' '  ')"
              elif [ ! -e "$dir" ]; then printf 'absent\\t%s\\t%s\\t\\n' "$dir" "$real"
              elif [ ! -d "$dir" ]; then printf 'file\\t%s\\t%s\\t\\n' "$dir" "$real"
              elif ! names=$(ls -A -- "$dir" 2>&1); then printf 'unreadable\\t%s\\t%s\\t%s\\n' "$dir" "$real" "$(printf '%s' "$names" | head -n 1 | tr '\\t' ' ')"
              elif [ -f "$dir/$file" ]; then
                if [ "$(head -n 1 -- "$dir/$file")" = "$marker" ]; then state=ours; else state=other; fi
                printf '%s\\t%s\\t%s\\t%s\\n' "$state" "$dir" "$real" "$(head -n 1 -- "$dir/$file" | cut -c 1-200 | tr '\\t' ' ')"
              else
                names=$(printf '%s\\n' "$names" | grep -v -x -e '' -e "$file\\.[0-9]*")
                if [ -z "$names" ]; then printf 'empty\\t%s\\t%s\\t\\n' "$dir" "$real"
                else printf 'foreign\\t%s\\t%s\\t%s\\n' "$dir" "$real" "$(printf '%s\\n' "$names" | head -n 3 | tr '\\t\\n' ' /')"; fi
              fi
            done
            """;

    /**
     * Makes the dir $4 (mode $3) marked with $2 in the file $1, or marks it when empty (but for a
     * half-written marker a run cut short left); any other is refused.
     */
    private static final String CLAIM = """
            file=$1 marker=$2 mode=$3 dir=$4
            if [ -L "$dir" ]; then echo "$dir is a symbolic link Flotilla did not make" >&2; exit 3; fi
            [ -e "$dir" ] || mkdir -p -m "$mode" -- "$dir"
            if [ -f "$dir/$file" ]; then
              [ "$(head -n 1 -- "$dir/$file")" = "$marker" ] && exit 0
              echo "$dir belongs to another cluster ($dir/$file says: $(head -n 1 -- "$dir/$file" | cut -c 1-200))" >&2; exit 3
            fi
            names=$(ls -A -- "$dir") || exit 3
            if [ -n "$(printf '%s\\n' "$names" | grep -v -x -e '' -e "$file\\.[0-9]*")" ]; then
              echo "$dir already holds files Flotilla did not put there for this cluster" >&2; exit 3
            fi
            rm -f -- "$dir/$file".[0-9]*
            umask 022
            printf '%s\\n' "$marker" > "$dir/$file.$$" && mv -f -- "$dir/$file.$$" "$dir/$file"
            """;

    /**
     * Removes the dir $4 when the file $1 in it says $2, or with $3 = empty, empties it but for that
     * file; an absent or empty dir is left as it is, and any other is refused.
     */
    private static final String RELEASE = """
            file=$1 marker=$2 how=$3 dir=$4
            [ -e "$dir" ] || [ -L "$dir" ] || exit 0
            if [ -L "$dir" ]; then echo "$dir is a symbolic link Flotilla did not make" >&2; exit 3; fi
            if [ -f "$dir/$file" ]; then
              if [ "$(head -n 1 -- "$dir/$file")" = "$marker" ]; then
                if [ "$how" = empty ]; then find "$dir" -mindepth 1 -maxdepth 1 ! -name "$file" -exec rm -rf -- {} +
                else rm -rf -- "$dir"; fi
                exit 0
              fi
              echo "$dir belongs to another cluster ($dir/$file says: $(head -n 1 -- "$dir/$file" | cut -c 1-200))" >&2; exit 3
            fi
            if [ -d "$dir" ] && [ -z "$(ls -A -- "$dir")" ]; then exit 0; fi
            echo "$dir has no $file that says it is this cluster's" >&2; exit 3
            """;

    private final String marker;
    private final Map<String, Object> changing = new ConcurrentHashMap<>();

    /**
     * @param cluster the cluster's name
     * @param createdAt when it was first deployed: a later cluster of the same name is another one
     */
    InstanceDirs(String cluster, String createdAt) {
        this.marker = "flotilla cluster %s created %s".formatted(cluster, createdAt);
    }

    /** The instance's dirs in the order they are made: the deploy dir, then those that may lie inside it. */
    static List<String> of(Instance instance) {
        List<String> dirs = new ArrayList<>();
        dirs.add(instance.deployDir());
        dirs.addAll(instance.dataDirs());
        dirs.add(instance.logDir());
        return dirs;
    }

    /**
     * What stops the instances from using their dirs on the host of {@code executor}, one line each:
     * a dir that holds files Flotilla did not put there for this cluster, a symbolic link, a file, or
     * one that resolves into a system folder. Changes nothing.
     */
    List<String> problems(Executor executor, List<Instance> instances) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", INSPECT, "flotilla-dirs", MARKER, marker));
        instances.forEach(instance -> command.addAll(of(instance)));
        CommandResult result = executor.run(command, TIMEOUT);
        if (!result.succeeded()) {
            return List.of("cannot look at the instances' directories on %s: %s"
                    .formatted(executor.host(), result.stderr().strip()));
        }
        List<String> problems = new ArrayList<>();
        for (String line : result.stdout().lines().toList()) {
            String[] parts = line.split("\t", 4);
            if (parts.length != 4) {
                problems.add(
                        "cannot tell what is in a directory on %s (it said '%s'); check the instances' directories there"
                                .formatted(executor.host(), line));
                continue;
            }
            String state = parts[0];
            String dir = parts[1];
            String real = parts[2];
            String detail = parts[3].strip();
            String owner = owner(instances, dir);
            switch (state) {
                case "foreign" ->
                    problems.add("%s: %s already holds files (%s) that Flotilla did not put there; empty it or choose"
                                    .formatted(owner, dir, String.join(", ", detail.split("/")))
                            + " another folder in the topology");
                case "other" ->
                    problems.add("%s: %s belongs to another cluster (%s says '%s'); choose another folder"
                            .formatted(owner, dir, MARKER, detail));
                case "symlink" ->
                    problems.add(
                            "%s: %s is a symbolic link to %s that Flotilla did not make; name the folder itself in the topology"
                                    .formatted(owner, dir, detail));
                case "file" ->
                    problems.add("%s: %s is a file, not a folder; choose another path".formatted(owner, dir));
                case "unreadable" ->
                    problems.add(
                            "%s: %s cannot be read by the deploy user (%s); Flotilla uses only a folder it can see is"
                                            .formatted(owner, dir, detail)
                                    + " empty or its own");
                default ->
                    SystemFolders.why(real)
                            .ifPresent(why -> problems.add("%s: %s resolves to %s: %s; choose another folder"
                                    .formatted(owner, dir, real, why)));
            }
        }
        return problems;
    }

    /**
     * Makes the instance's dirs, each marked, or takes them as they are when this cluster's; refuses
     * any other.
     */
    void claim(Executor executor, Instance instance) {
        for (String dir : of(instance)) {
            run(executor, instance, CLAIM, instance.dataDirs().contains(dir) ? "0750" : "0755", dir);
        }
    }

    /** Empties one of the instance's dirs, keeping the marker that says it is this cluster's. */
    void empty(Executor executor, Instance instance, String dir) {
        run(executor, instance, RELEASE, "empty", dir);
    }

    /**
     * Removes the instance's dirs that are this cluster's, innermost first; any other is refused, and
     * so is one that holds a dir of an instance that {@code stays}.
     */
    void remove(Executor executor, Instance instance, List<Instance> stays) {
        for (String dir : of(instance)) {
            for (Instance other : stays) {
                if (other.host().equals(instance.host()) && !other.equals(instance)) {
                    of(other).stream()
                            .filter(held -> held.equals(dir) || held.startsWith(dir + "/"))
                            .findFirst()
                            .ifPresent(held -> {
                                throw new OperationException(
                                        ErrorCode.NOT_OURS,
                                        "%s: %s holds %s of %s, which stays; move that one first"
                                                .formatted(name(instance), dir, held, name(other)));
                            });
                }
            }
        }
        for (String dir : of(instance).reversed()) {
            run(executor, instance, RELEASE, "remove", dir);
        }
    }

    /** Runs {@code script} on the dir, the last argument; one dir is changed by one step at a time, as the exporters of a host share theirs. */
    private void run(Executor executor, Instance instance, String script, String... arguments) {
        synchronized (
                changing.computeIfAbsent(
                        instance.host() + ":" + arguments[arguments.length - 1], key -> new Object())) {
            runAlone(executor, instance, script, arguments);
        }
    }

    private void runAlone(Executor executor, Instance instance, String script, String... arguments) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", script, "flotilla-dirs", MARKER, marker));
        command.addAll(List.of(arguments));
        CommandResult result = executor.run(command, TIMEOUT);
        if (!result.succeeded()) {
            throw new OperationException(
                    ErrorCode.NOT_OURS,
                    "%s: %s; Flotilla changes only what it made for this cluster"
                            .formatted(name(instance), result.stderr().strip()));
        }
    }

    private static String name(Instance instance) {
        return "%s %s".formatted(instance.component(), instance.id());
    }

    private static String owner(List<Instance> instances, String dir) {
        return instances.stream()
                .filter(instance -> of(instance).contains(dir))
                .map(InstanceDirs::name)
                .findFirst()
                .orElse(dir);
    }
}
