package io.flotilla.engine;

import static java.util.Objects.requireNonNull;

import io.flotilla.exec.SshOptions;

/**
 * How the control machine reaches a cluster's other hosts over SSH, kept with the cluster so that
 * every later command connects the same way. Paths only: keys and passwords stay in their files.
 *
 * @param identityFile the private key to log in with
 * @param knownHosts the known_hosts file host keys are verified against
 * @param acceptNewHostKeys trust a host's key on first use, recording it in the cluster's own known_hosts
 */
public record SshAccess(String user, int port, String identityFile, String knownHosts, boolean acceptNewHostKeys) {
    public SshAccess {
        requireNonNull(user, "user is null");
        requireNonNull(identityFile, "identityFile is null");
        requireNonNull(knownHosts, "knownHosts is null");
        SshOptions.checkPort(port);
    }
}
