package io.flotilla.cli;

import io.flotilla.operations.ClusterManager;
import io.flotilla.sql.session.Account;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "password",
        mixinStandardHelpOptions = true,
        description = {
            "Print the cluster's root password, generated at deploy and kept in its 0600 secret store; with",
            "--read-only, the password of the SQL user flotilla_ro (`flotilla serve --cluster NAME`), generated",
            "on first use and kept 0600 in the cluster's folder."
        })
final class ClusterPasswordCommand implements Callable<Integer> {
    @ParentCommand
    private ClusterCommand parent;

    @Parameters(paramLabel = "NAME", description = "The cluster's name.")
    private String name;

    @Option(names = "--read-only", description = "The password of the read-only SQL user flotilla_ro.")
    private boolean readOnly;

    @Override
    public Integer call() {
        Output output = parent.output();
        ClusterManager clusters = Services.clusters(output);
        String rootPassword = clusters.secrets(name).rootPassword();
        output.out()
                .println(
                        readOnly
                                ? ServeCommand.clusterPasswords(clusters.home().cluster(name))
                                        .password(Account.READ_ONLY)
                                : rootPassword);
        return 0;
    }
}
