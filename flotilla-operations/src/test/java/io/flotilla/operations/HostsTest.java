package io.flotilla.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.engine.SshAccess;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.step.OperationException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HostsTest {
    @Test
    void loopbackAndThisMachinesNamesAreLocal() {
        assertThat(Hosts.isLocal("127.0.0.1")).isTrue();
        assertThat(Hosts.isLocal("127.0.0.2")).isTrue();
        assertThat(Hosts.isLocal("::1")).isTrue();
        assertThat(Hosts.isLocal("localhost")).isTrue();
    }

    @Test
    void otherAddressesAndNamesAreNotLocalAndNoNameIsLookedUp() {
        // TEST-NET-3: documentation only, never an interface of this machine.
        assertThat(Hosts.isLocal("203.0.113.7")).isFalse();
        assertThat(Hosts.isLocal("db-1.example.invalid")).isFalse();
    }

    @Test
    void aClusterWithoutSshRunsEveryHostHereAndRefusesAnotherHostSayingWhatToGive() {
        try (Hosts hosts = new Hosts((SshAccess) null, Path.of("/nonexistent/known_hosts"))) {
            assertThat(hosts.apply("127.0.0.1")).isInstanceOf(LocalExecutor.class);
            assertThatThrownBy(() -> hosts.apply("203.0.113.7"))
                    .isInstanceOf(OperationException.class)
                    .hasMessage(
                            "host 203.0.113.7 is not this machine; to deploy to it over SSH give the login with --user, -i KEY and --known-hosts FILE (or --accept-new-host-keys)");
        }
    }
}
