package io.flotilla.sql.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.tls.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The agent clients kept between statements go with the clusters and hosts they were for. */
class AgentClientsTest {
    private final List<X509Certificate> trusted =
            List.of(CertificateAuthority.selfSigned("ca", Duration.ofDays(1)).certificate());

    @Test
    void aDestroyedClusterAndAScaledInHostLoseTheirClients() {
        try (AgentClients clients = new AgentClients(Duration.ofSeconds(1))) {
            clients.get("kept", trusted, "10.0.0.1:9760", "t");
            clients.get("kept", trusted, "10.0.0.2:9760", "t");
            clients.get("destroyed", trusted, "10.0.0.3:9760", "t");
            assertThat(clients.size()).isEqualTo(5);

            clients.retainClusters(Set.of("kept"));
            assertThat(clients.size()).isEqualTo(3);
            clients.retainAddresses("kept", Set.of("10.0.0.1:9760"));
            assertThat(clients.size()).isEqualTo(2);
        }
    }
}
