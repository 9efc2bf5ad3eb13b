package io.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.catalog.ClusterSecrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterStoreTest {
    @TempDir
    Path home;

    @Test
    void secretsAreGeneratedOnceNeverEmptyAndOwnerOnly() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        ClusterSecrets first = store.secrets();
        assertThat(first.rootPassword()).hasSize(24);
        assertThat(first.agentToken()).hasSize(40);
        assertThat(first.rootPassword()).isNotEqualTo(first.replicationPassword());
        assertThat(store.secrets().rootPassword()).isEqualTo(first.rootPassword());
        Path file = store.dir().resolve("secrets.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(first.toString()).doesNotContain(first.rootPassword());
    }

    @Test
    void secretsReadableByOthersAreRefused() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        store.secrets();
        Path file = store.dir().resolve("secrets.json");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(store::secrets)
                .hasMessage("%s is readable by others (rw-r--r--); run `chmod 600 %s`".formatted(file, file));
    }

    @Test
    void clusterNamesFollowTiupsRule() {
        FlotillaHome flotilla = new FlotillaHome(home);
        assertThat(flotilla.cluster("prod-1_a.b").name()).isEqualTo("prod-1_a.b");
        assertThatThrownBy(() -> flotilla.cluster("bad/name"))
                .hasMessage("cluster name 'bad/name' is invalid: use letters, digits, '-', '_' and '.'");
        assertThatThrownBy(() -> flotilla.cluster(".."))
                .hasMessage("cluster name '..' is invalid: use letters, digits, '-', '_' and '.'");
    }
}
