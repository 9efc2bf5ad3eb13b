package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.AgentTls;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.tls.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * How an operation's clients trust a cluster's agents, and which CA issues their certificates: the
 * cluster's CA (and, while {@code cluster tls rotate} runs, the next one too). A cluster deployed
 * before agents had TLS has none, and every call to an agent says what to run.
 */
public final class ClusterTls {
    private final String cluster;
    private final List<X509Certificate> trusted;
    private final Supplier<CertificateAuthority> issuer;
    private volatile SSLContext context;

    private ClusterTls(String cluster, List<X509Certificate> trusted, Supplier<CertificateAuthority> issuer) {
        this.cluster = requireNonNull(cluster, "cluster is null");
        this.trusted = List.copyOf(trusted);
        this.issuer = requireNonNull(issuer, "issuer is null");
    }

    /**
     * @param trusted the CA certificates the agents' certificates may come from
     * @param issuer reads the CA that issues new agent certificates (its key is read only when one is issued)
     */
    public static ClusterTls of(String cluster, List<X509Certificate> trusted, Supplier<CertificateAuthority> issuer) {
        return new ClusterTls(cluster, trusted, issuer);
    }

    /** Trusts {@code ca} alone and issues from it (a rotation, which must not trust the CA it replaces). */
    public static ClusterTls of(String cluster, CertificateAuthority ca) {
        return new ClusterTls(cluster, List.of(ca.certificate()), () -> ca);
    }

    /** A cluster with no CA: deployed before agents had TLS, or a plan shown before anything is made. */
    public static ClusterTls none(String cluster) {
        return new ClusterTls(cluster, List.of(), () -> {
            throw missing(cluster);
        });
    }

    /** The CA certificates the agents' certificates may come from; empty for a cluster with no CA. */
    public List<X509Certificate> trusted() {
        return trusted;
    }

    /** The client side: trusts the cluster's CAs and nothing else. */
    public SSLContext context() {
        if (trusted.isEmpty()) {
            throw missing(cluster);
        }
        SSLContext built = context;
        if (built == null) {
            built = AgentTls.pinned(trusted);
            context = built;
        }
        return built;
    }

    /** The CA that issues the agents' certificates. */
    public CertificateAuthority issuer() {
        return issuer.get();
    }

    private static OperationException missing(String cluster) {
        return new OperationException(
                ErrorCode.NO_TLS,
                "the agents of cluster '%s' have no TLS certificates yet (it was deployed before agents had TLS, or its CA is lost); run `flotilla cluster tls rotate %s`"
                        .formatted(cluster, cluster));
    }
}
