package io.flotilla.cli;

import picocli.CommandLine.Command;

@Command(
        name = "tls",
        mixinStandardHelpOptions = true,
        description = {
            "The TLS of the cluster's agents.",
            "Each agent serves its API over TLS 1.3 only, with a key and a"
                    + " certificate (2 years) for its host issued by the cluster's own CA (10 years), made by the first"
                    + " deploy and kept in the cluster's folder (tls/<id>/ca.key, mode 0600, and ca.crt; tls/current names it). The CLI and the"
                    + " SQL endpoint trust that CA alone, so a process that is not the cluster's agent is refused before"
                    + " the agent token is sent."
        },
        subcommands = {ClusterTlsRotateCommand.class})
final class ClusterTlsCommand {}
