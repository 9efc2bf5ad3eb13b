package io.flotilla.cli;

import io.flotilla.operations.ClusterManager;
import io.flotilla.sql.session.Account;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "password",
        mixinStandardHelpOptions = true,
        description = {
            "Print the cluster's root password, generated at deploy and kept in its 0600 secret store.",
            "With --read-only, the password of the SQL user flotilla_ro (`flotilla serve --cluster NAME`), generated on first use and kept 0600 in the cluster's folder."
        })
final class ClusterPasswordCommand extends NamedClusterCommand {
    @Option(names = "--read-only", description = "The password of the read-only SQL user flotilla_ro.")
    private boolean readOnly;

    @Override
    int run(Output output, ClusterManager clusters) {
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
