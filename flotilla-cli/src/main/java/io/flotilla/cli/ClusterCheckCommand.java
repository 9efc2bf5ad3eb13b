package io.flotilla.cli;

import io.flotilla.catalog.Catalog;
import io.flotilla.engine.FlotillaHome;
import io.flotilla.operations.ClusterCheck;
import io.flotilla.plan.CheckResult;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.TopologyParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = {
            "Check the hosts of a topology file (before a deploy) or of a deployed cluster.",
            "All hosts at once: OS, CPU, memory, swap, clock and time sync, SELinux, transparent hugepages, the nofile limit, sysctl fs.file-max, net.core.somaxconn and vm.swappiness, the SSH user's privileges, and for the instances there: ports free, dirs writable (data dirs empty), free disk, binaries installed (or their tarball fetched and its sha256 checked). One Pass/Warn/Fail row per rule and host; the exit code is 1 when any row is a Fail.",
            "Hosts of a FILE are reached with the login options of deploy (--user with -i KEY, a KEY with a passphrase, -p or --password-file); a deployed cluster's hosts as its deploy user with the cluster's key.",
            "--apply needs root or a passwordless sudoer (otherwise an 'apply' row fails on each host). It sets the sysctl values now and keeps them in /etc/sysctl.d/99-flotilla.conf, gives the deploy user soft and hard nofile 1000000 in /etc/security/limits.d/99-flotilla.conf (from its next login), and sets transparent hugepages to never at run time only (a reboot brings the kernel's default back unless its command line has transparent_hugepage=never).",
            "It says what it changed, and leaves swap, packages and processes alone."
        })
final class ClusterCheckCommand extends OutputCommand {
    @Parameters(paramLabel = "FILE|NAME", description = "A topology file, or the name of a deployed cluster.")
    private String subject;

    @Option(
            names = "--apply",
            description = "Fix the sysctl values (kept in /etc/sysctl.d), the nofile limit (in"
                    + " /etc/security/limits.d) and transparent hugepages (until reboot), and say what changed.")
    private boolean apply;

    @Option(
            names = "--only",
            split = ",",
            paramLabel = "CHECK",
            description = "Only these rules, by the name in the CHECK column (e.g. 'sysctl net.core.somaxconn').")
    private List<String> only = List.of();

    @Mixin
    private FormatOption format;

    @Mixin
    private SshLoginOptions sshLogin;

    @Override
    int run(Output output) throws Exception {
        var checks = new ClusterCheck(FlotillaHome.fromEnvironment(), Catalog.standard());
        Predicate<String> selected = only.isEmpty() ? check -> true : Set.copyOf(only)::contains;
        ClusterCheck.Progress progress = new ClusterCheck.Progress() {
            @Override
            public void started(String host) {
                synchronized (output) {
                    output.err().printf("  checking %s ...%n", host);
                }
            }

            @Override
            public void finished(String host, List<CheckResult> rows) {
                synchronized (output) {
                    output.err().printf("  checked %s: %s%n", host, summary(rows));
                }
            }
        };
        Path file = Path.of(subject);
        ClusterCheck.Report report;
        if (Files.isRegularFile(file)) {
            report = checks.file(
                    file, TopologyParser.read(file), sshLogin.login(Optional.empty()), apply, selected, progress);
        } else if (checks.exists(subject)) {
            if (sshLogin.given()) {
                throw new OperationException(
                        ErrorCode.BAD_OPTION,
                        "cluster '%s' is reached with the login it was deployed with (its deploy user and the cluster's key); --user, -i, -p and --password-file are for a topology FILE"
                                .formatted(subject));
            }
            report = checks.cluster(subject, apply, selected, progress);
        } else {
            throw new OperationException(
                    ErrorCode.NO_CLUSTER,
                    "%s is neither a topology file nor a deployed cluster; give a file's path or `flotilla cluster list` shows the names"
                            .formatted(subject));
        }
        List<String> unmatched = only.stream()
                .filter(name ->
                        report.rows().stream().noneMatch(row -> row.check().equals(name)))
                .toList();
        if (!unmatched.isEmpty()) {
            throw new OperationException(
                    ErrorCode.BAD_OPTION,
                    "--only %s names no check on these hosts; use the names of the CHECK column, such as 'sysctl vm.swappiness' or 'port 4000'"
                            .formatted(String.join(
                                    ", ",
                                    unmatched.stream()
                                            .map(name -> "'" + name + "'")
                                            .toList())));
        }
        if (format.json()) {
            output.json(Map.of(
                    "subject",
                    report.subject(),
                    "hosts",
                    report.hosts(),
                    "passed",
                    !report.failed(),
                    "rows",
                    report.rows().stream()
                            .map(row -> Map.of(
                                    "host", row.host(),
                                    "check", row.check(),
                                    "result", row.verdict().label(),
                                    "detail", row.detail(),
                                    "applied", row.fixed()))
                            .toList()));
        } else {
            output.out()
                    .print(Output.table(
                            List.of("HOST", "CHECK", "RESULT", "DETAIL"),
                            report.rows().stream()
                                    .map(row -> List.of(
                                            row.host(),
                                            row.check(),
                                            row.verdict().label(),
                                            row.detail()))
                                    .toList()));
            List<CheckResult> applied =
                    report.rows().stream().filter(row -> !row.fixed().isEmpty()).toList();
            if (!applied.isEmpty()) {
                output.out().printf("%nApplied:%n");
                applied.forEach(row -> output.out().printf("  %s %s: %s%n", row.host(), row.check(), row.fixed()));
            }
            output.out().printf("%n%s%n", summary(report.rows()));
        }
        return report.failed() ? 1 : 0;
    }

    private static String summary(List<CheckResult> rows) {
        ToLongFunction<CheckResult.Verdict> count =
                verdict -> rows.stream().filter(row -> row.verdict() == verdict).count();
        return "%d pass, %d warn, %d fail"
                .formatted(
                        count.applyAsLong(CheckResult.Verdict.PASS),
                        count.applyAsLong(CheckResult.Verdict.WARN),
                        count.applyAsLong(CheckResult.Verdict.FAIL));
    }
}
