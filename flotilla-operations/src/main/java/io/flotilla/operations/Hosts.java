package io.flotilla.operations;

import io.flotilla.engine.SshAccess;
import io.flotilla.exec.Executor;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.exec.SshConnections;
import io.flotilla.exec.SshOptions;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * The executor for each host of a cluster: this machine runs commands itself, other hosts are
 * reached over one pooled SSH connection each, when the cluster was deployed with SSH access.
 */
final class Hosts implements Function<String, Executor>, AutoCloseable {
    /** Channels open at once across all hosts, and sessions: one per host, bounded for the control machine's descriptors. */
    private static final int MAX_CHANNELS = 64;

    private static final int MAX_SESSIONS = 512;

    /** How to log in to other hosts, or null when every host is this machine. */
    private final SshOptions options;

    private SshConnections connections;

    Hosts(SshAccess ssh, Path clusterKnownHosts) {
        this.options = ssh == null
                ? null
                : SshOptions.of(
                                ssh.user(),
                                List.of(Path.of(ssh.identityFile())),
                                Path.of(ssh.knownHosts()),
                                clusterKnownHosts)
                        .withPort(ssh.port())
                        .withAcceptNewHostKeys(ssh.acceptNewHostKeys());
    }

    /** The hosts as the login given to a deploy reaches them, for what only that login may do. */
    Hosts(SshLogin login, Path clusterKnownHosts) {
        this.options = login.options(clusterKnownHosts);
    }

    /** Refuses a host that is not this machine when no SSH login was given, before anything connects. */
    static void requireReachable(String host, boolean sshLogin) {
        if (!sshLogin && !isLocal(host)) {
            throw new OperationException(
                    ErrorCode.REMOTE_HOST,
                    "host %s is not this machine; to deploy to it over SSH give the login with --user, -i KEY and --known-hosts FILE (or --accept-new-host-keys)"
                            .formatted(host));
        }
    }

    @Override
    public synchronized Executor apply(String host) {
        if (isLocal(host)) {
            return new LocalExecutor(host);
        }
        requireReachable(host, options != null);
        if (connections == null) {
            connections = SshConnections.start(options, MAX_CHANNELS, MAX_SESSIONS);
        }
        return connections.executor(host);
    }

    @Override
    public synchronized void close() {
        if (connections != null) {
            connections.close();
            connections = null;
        }
    }

    /** Loopback, or an address of one of this machine's interfaces. Names other than this machine's are not looked up. */
    static boolean isLocal(String host) {
        try {
            if (host.equals("localhost")
                    || host.equals(InetAddress.getLocalHost().getHostName())) {
                return true;
            }
            if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                return false;
            }
            InetAddress address = InetAddress.getByName(host);
            return address.isLoopbackAddress() || NetworkInterface.getByInetAddress(address) != null;
        } catch (UnknownHostException | SocketException e) {
            return false;
        }
    }
}
