package io.flotilla.catalog;

import io.flotilla.exec.CommandResult;
import io.flotilla.exec.Executor;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.step.Step;
import io.flotilla.topology.Instance;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * MariaDB's primary and replicas. A new replica is cloned from the running primary with {@code
 * mariadb-backup}: the backup streams from the primary's host into a 0600 file on this machine,
 * then to the new host into {@code mbstream}, so the hosts need no trust in each other and the
 * primary need not keep its binary logs from the start; the replica then asks the primary only for
 * what the backup lacks ({@code MASTER_USE_GTID = slave_pos} from the backup's GTID position).
 */
record MariaDbReplication(MariaDbKind kind) implements Replication {
    private static final Duration CLONE_TIMEOUT = Duration.ofHours(2);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String displayName() {
        return "MariaDB";
    }

    @Override
    public boolean isPrimary(Instance instance) {
        return MariaDbKind.isPrimary(instance);
    }

    @Override
    public String replicationUser() {
        return MariaDbKind.REPLICATION_USER;
    }

    @Override
    public Step.Action cloneReplica(ClusterAccess after, Instance primary, Instance replica) {
        return Step.action(
                "scale-out/clone/" + replica.id(),
                "clone %s from %s".formatted(replica.id(), primary.id()),
                replica.host(),
                () -> cloneFrom(after, primary, replica));
    }

    /** The bootstrap marker is written last: a clone cut short is started again from an empty dir. */
    private void cloneFrom(ClusterAccess after, Instance primary, Instance replica) throws IOException {
        InstanceContext context = after.instanceContext(replica);
        Bootstrap bootstrap = kind.bootstrap(context, after.secrets())
                .orElseThrow(() -> new IllegalStateException("MariaDB always has a bootstrap"));
        Executor target = after.executor(replica.host());
        if (target.exists(bootstrap.marker())) {
            return;
        }
        String dataDir = context.dataDir().toString();
        after.emptyDir(replica, dataDir);
        copyBackup(after, primary, replica, dataDir);
        check(target, replica, MariaDbKind.prepareCommand(dataDir), CLONE_TIMEOUT, "preparing the backup");
        check(
                target,
                replica,
                List.of("chown", "-R", context.osUser(), dataDir),
                COMMAND_TIMEOUT,
                "giving the data to " + context.osUser());
        target.put(bootstrap.marker(), new byte[0], "0644");
    }

    @Override
    public void resumeFromClone(ClusterAccess after, Instance replica) throws Exception {
        InstanceContext context = after.instanceContext(replica);
        MariaDbKind.seedReplicaPosition(context, after.agent(replica.host()), backupGtid(after, replica, context));
    }

    private void copyBackup(ClusterAccess after, Instance primary, Instance replica, String dataDir)
            throws IOException {
        InstanceContext source = after.instanceContext(primary);
        Executor from = after.executor(primary.host());
        Executor to = after.executor(replica.host());
        String options = source.deployDir().resolve("tmp/flotilla-backup.cnf").toString();
        String scratch = source.deployDir().resolve("tmp/flotilla-backup").toString();
        // One name per cluster and replica: a run cut short leaves it behind, and the next run removes it first.
        Path staged = Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("flotilla-clone-%s-%s.mbstream"
                        .formatted(after.name(), replica.id().replaceAll("[^A-Za-z0-9.-]", "_")));
        Files.deleteIfExists(staged);
        Files.createFile(staged, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            from.remove(scratch);
            from.mkdirs(scratch, "0700");
            from.put(options, kind.backupOptions(source, after.secrets()).getBytes(StandardCharsets.UTF_8), "0600");
            CommandResult backup;
            try (OutputStream out = Files.newOutputStream(staged)) {
                backup = from.stream(
                        MariaDbKind.backupCommand(options, scratch), InputStream.nullInputStream(), out, CLONE_TIMEOUT);
            }
            if (!backup.succeeded()) {
                throw cloneFailure(replica, "mariadb-backup on %s".formatted(primary.host()), backup);
            }
            CommandResult unpack;
            try (InputStream in = Files.newInputStream(staged)) {
                unpack = to.stream(
                        MariaDbKind.unpackCommand(dataDir), in, OutputStream.nullOutputStream(), CLONE_TIMEOUT);
            }
            if (!unpack.succeeded()) {
                throw cloneFailure(replica, "mbstream on %s".formatted(replica.host()), unpack);
            }
        } finally {
            Files.deleteIfExists(staged);
            from.remove(options);
            from.remove(scratch);
        }
    }

    private static OperationException cloneFailure(Instance replica, String what, CommandResult result) {
        return new OperationException(
                ErrorCode.CLONE,
                "cloning %s failed: %s exited with %d:\n    %s"
                        .formatted(
                                replica.id(),
                                what,
                                result.exitCode(),
                                Executor.lastLines(result.stderr().strip(), 20).replace("\n", "\n    ")));
    }

    private static void check(
            Executor executor, Instance instance, List<String> command, Duration timeout, String what) {
        CommandResult result = executor.run(command, timeout);
        if (!result.succeeded()) {
            throw new OperationException(
                    ErrorCode.CLONE,
                    result.failure("%s %s: %s failed".formatted(instance.component(), instance.id(), what), command));
        }
    }

    private static String backupGtid(ClusterAccess after, Instance replica, InstanceContext context) {
        Executor executor = after.executor(replica.host());
        for (String file : MariaDbKind.backupPositionFiles(context.dataDir().toString())) {
            CommandResult read = executor.run(List.of("cat", file), COMMAND_TIMEOUT);
            if (read.succeeded()) {
                return MariaDbKind.backupGtid(read.stdout());
            }
        }
        throw new OperationException(
                ErrorCode.CLONE,
                "%s: the backup's binlog position is missing from %s; remove %s and run the scale-out again"
                        .formatted(replica.id(), context.dataDir(), context.dataDir()));
    }
}
