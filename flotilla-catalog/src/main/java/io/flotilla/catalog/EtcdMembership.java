package io.flotilla.catalog;

import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.step.Step;
import io.flotilla.step.Task;
import io.flotilla.topology.Instance;
import io.flotilla.wait.Wait;
import java.time.Duration;
import java.util.List;

/**
 * etcd's membership through {@code etcdctl} on a running member: {@code member add} of a new member
 * just before it starts with {@code --initial-cluster-state=existing} (etcd allows no second
 * unstarted member, so the planner joins them one at a time), {@code member remove} of one that
 * leaves. Both check first, so a step run again after a crash does nothing twice.
 */
final class EtcdMembership implements Membership {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /** How long a change may be refused as an "unhealthy cluster" while members (re)connect. */
    private static final Duration UNHEALTHY_TIMEOUT = Duration.ofSeconds(30);

    private static final Duration RETRY = Duration.ofSeconds(1);

    @Override
    public Step.Action join(ClusterAccess before, Instance joining) {
        return memberChange("scale-out", "add", joining, () -> add(before, joining));
    }

    @Override
    public Step.Action leave(ClusterAccess after, Instance leaving) {
        return memberChange("scale-in", "remove", leaving, () -> remove(after, leaving));
    }

    /** The step of one {@code etcdctl member} change, on the changed member's host. */
    private static Step.Action memberChange(String operation, String verb, Instance member, Task change) {
        return Step.action(
                "%s/etcd-member/%s".formatted(operation, member.id()),
                "%s etcd member %s".formatted(verb, EtcdKind.memberName(member)),
                member.host(),
                change);
    }

    /** Asks a running member to add this one, unless its peer URL is there already. */
    private static void add(ClusterAccess before, Instance joining) throws InterruptedException {
        Instance running = before.topology().instances(joining.component()).getFirst();
        Executor executor = before.executor(running.host());
        String endpoint = endpoint(running);
        String peerUrl = "http://" + joining.address("peer_port");
        CommandResult members =
                executor.check(List.of("etcdctl", "--endpoints=" + endpoint, "member", "list"), COMMAND_TIMEOUT);
        if (members.stdout()
                .lines()
                .anyMatch(line -> List.of(line.split(",\\s*")).contains(peerUrl))) {
            return;
        }
        runPastUnhealthy(
                executor,
                List.of(
                        "etcdctl",
                        "--endpoints=" + endpoint,
                        "member",
                        "add",
                        EtcdKind.memberName(joining),
                        "--peer-urls=" + peerUrl));
    }

    /** Asks a member that stays to remove this one, unless it is already gone. */
    private static void remove(ClusterAccess after, Instance leaving) throws InterruptedException {
        Instance survivor = after.topology().instances(leaving.component()).getFirst();
        Executor executor = after.executor(survivor.host());
        String endpoint = endpoint(survivor);
        CommandResult members =
                executor.check(List.of("etcdctl", "--endpoints=" + endpoint, "member", "list"), COMMAND_TIMEOUT);
        String name = EtcdKind.memberName(leaving);
        for (String line : members.stdout().lines().toList()) {
            String[] fields = line.split(",\\s*");
            if (fields.length >= 3 && fields[2].equals(name)) {
                runPastUnhealthy(
                        executor, List.of("etcdctl", "--endpoints=" + endpoint, "member", "remove", fields[0].strip()));
                return;
            }
        }
    }

    /** Where clients reach an etcd member: its client URL. */
    static String endpoint(Instance member) {
        return "http://" + member.address("client_port");
    }

    /**
     * Runs a membership change, again while etcd refuses it as an "unhealthy cluster" (as right
     * after a start, until the members have been connected to each other for a few seconds); then
     * fails with its error.
     */
    private static void runPastUnhealthy(Executor executor, List<String> command) throws InterruptedException {
        boolean done = Wait.until(UNHEALTHY_TIMEOUT, RETRY, () -> {
            CommandResult result = executor.run(command, COMMAND_TIMEOUT);
            if (!result.succeeded() && !result.stderr().contains("unhealthy cluster")) {
                executor.check(command, COMMAND_TIMEOUT); // fails with the command's error, or it went through now
                return true;
            }
            return result.succeeded();
        });
        if (!done) {
            executor.check(command, COMMAND_TIMEOUT);
        }
    }
}
