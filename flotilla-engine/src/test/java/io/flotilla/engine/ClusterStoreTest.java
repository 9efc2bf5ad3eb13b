package io.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.catalog.ClusterSecrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterStoreTest {
    @TempDir
    Path home;

    @Test
    void secretsAreGeneratedOnceNeverEmptyAndOwnerOnly() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        ClusterSecrets first = store.createSecrets();
        assertThat(first.rootPassword()).hasSize(24);
        assertThat(first.agentToken()).hasSize(40);
        assertThat(first.rootPassword()).isNotEqualTo(first.replicationPassword());
        assertThat(store.secrets().rootPassword()).isEqualTo(first.rootPassword());
        assertThat(store.createSecrets().agentToken()).as("made once").isEqualTo(first.agentToken());
        Path file = store.dir().resolve("secrets.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(first.toString()).doesNotContain(first.rootPassword());
    }

    @Test
    void secretsReadableByOthersAreRefused() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        store.createSecrets();
        Path file = store.dir().resolve("secrets.json");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(store::secrets)
                .hasMessage("%s is readable by others (rw-r--r--); run `chmod 600 %s`".formatted(file, file));
    }

    @Test
    void lostOrDamagedSecretsStopTheCommandAndAreNeverMadeAgainByAReader() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        Files.createDirectories(store.dir());
        Path file = store.dir().resolve("secrets.json");
        assertThatThrownBy(store::secrets)
                .hasMessage(("cluster 'c1' has lost its secrets: %s is missing. Restore it from a backup of this folder"
                                + " (mode 600); each host of the cluster also keeps them in its agent folder"
                                + " (flotilla-agent-c1 under the deploy dir: 'token', 'secrets/root-password',"
                                + " 'secrets/replication-password')")
                        .formatted(file));
        assertThat(file).doesNotExist();

        store.createSecrets();
        Files.writeString(file, "{\"rootPassword\": \"abc");
        assertThatThrownBy(store::secrets)
                .hasMessageStartingWith("cannot read the secrets of cluster 'c1' in %s: ".formatted(file))
                .hasMessageEndingWith("; restore the file from a backup of this folder")
                .message()
                .doesNotContain("\n");
        assertThat(file).hasContent("{\"rootPassword\": \"abc");
    }

    @Test
    void aTornStateFileGetsOneLineNamingIt() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        Files.createDirectories(store.dir());
        Path meta = store.dir().resolve("meta.json");
        Files.writeString(meta, "{\"name\": \"c1\", \"vers");
        assertThatThrownBy(store::meta)
                .hasMessageStartingWith("cannot read the state of cluster 'c1' in %s: ".formatted(meta))
                .hasMessageEndingWith("; restore the file from a backup of this folder")
                .message()
                .doesNotContain("\n");
    }

    @Test
    void aTopologyThatIsAFolderOrMissingGetsOneLineNamingIt() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        Files.createDirectories(store.topologyFile());
        assertThatThrownBy(store::topologyText)
                .hasMessage("cannot read the topology of cluster 'c1' in %s: Is a directory; restore the file from a"
                                .formatted(store.topologyFile())
                        + " backup of this folder");
        Files.delete(store.topologyFile());
        assertThatThrownBy(store::topologyText)
                .hasMessage("cannot read the topology of cluster 'c1' in %s: it is missing; restore the file from a"
                                .formatted(store.topologyFile())
                        + " backup of this folder");
        Files.write(store.topologyFile(), new byte[] {'a', ':', ' ', (byte) 0xff, '\n'});
        assertThatThrownBy(store::topologyText)
                .hasMessage("cannot read the topology of cluster 'c1' in %s: it is not UTF-8 text; restore the file"
                                .formatted(store.topologyFile())
                        + " from a backup of this folder");
    }

    @Test
    void aJournalWithATornCharacterStillReadsItsOtherEvents() throws Exception {
        Path journal = home.resolve("journal.jsonl");
        byte[] torn = "{\"event\":\"step\",\"title\":\"caf\u00e9\"}\n{\"event\":\"done\",\"x\":\"\u00e9"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(journal, java.util.Arrays.copyOf(torn, torn.length - 1));
        assertThat(Journal.events(journal))
                .extracting(event -> event.path("event").asString())
                .containsExactly("step");
    }

    @Test
    void theJournalTheAuditLogAndTheLockAreOwnerOnlyFromTheirCreation() throws Exception {
        // No chmod follows their creation, so the mode they have now is the mode they were made with.
        Path journal;
        try (Journal open = Journal.open(home.resolve("clusters/c1/journal"), "op1", "deploy", "fp", "test")) {
            open.end(true, null);
            journal = open.file();
        }
        AuditLog audit = new FlotillaHome(home).audit();
        audit.begin("op1", "c1", "deploy", "2026-01-01T00:00:00Z");
        audit.end("op1", "2026-01-01T00:00:01Z", true, null, journal);
        try (ClusterLock ignored = ClusterLock.acquire(home.resolve("clusters/c1/lock"), "c1", "test")) {
            for (Path file : List.of(
                    journal,
                    home.resolve("audit/audit.log"),
                    home.resolve("audit/op1.journal.jsonl"),
                    home.resolve("clusters/c1/lock"))) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                        .as(file.toString())
                        .isEqualTo("rw-------");
            }
        }
    }

    @Test
    void anAuditLineACrashCutShortDoesNotSwallowTheNextOperation() throws Exception {
        FlotillaHome flotilla = new FlotillaHome(home);
        AuditLog audit = flotilla.audit();
        audit.begin("a1", "c1", "first", "2026-01-01T00:00:00Z");
        Path file = home.resolve("audit/audit.log");
        Files.writeString(file, "{\"event\":\"end\",\"id\":\"a1\",\"res", java.nio.file.StandardOpenOption.APPEND);
        audit.begin("a2", "c1", "second", "2026-01-01T00:00:01Z");
        audit.end("a2", "2026-01-01T00:00:02Z", true, null, null);
        assertThat(audit.entries())
                .extracting(AuditLog.Entry::command, AuditLog.Entry::result)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("first", ""),
                        org.assertj.core.groups.Tuple.tuple("second", "ok"));
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

    @Test
    void theCaIsMadeOnceWithItsKeyOwnerOnly() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        assertThat(store.tls().trusted()).as("a cluster from before TLS").isEmpty();

        String id = store.createCa().id();

        assertThat(store.dir().resolve("tls/current")).hasContent(id);
        assertThat(Files.getPosixFilePermissions(store.dir().resolve("tls/" + id + "/ca.key")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(store.createCa().id()).as("made once").isEqualTo(id);
        assertThat(store.tls().issuer().id()).isEqualTo(id);
        assertThat(store.trustedCas()).hasSize(1);
    }

    @Test
    void aRotationResumesWithTheSameNextCaAndIsTrustedBesideTheCurrentOneUntilDone() {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        String current = store.createCa().id();
        String next = store.nextCa().id();

        assertThat(store.nextCa().id()).as("a run that resumes").isEqualTo(next);
        assertThat(store.trustedCas()).hasSize(2);
        assertThat(store.tls().issuer().id())
                .as("deploys still issue from the current CA")
                .isEqualTo(current);

        store.replaceCa();

        assertThat(store.dir().resolve("tls/next")).doesNotExist();
        assertThat(store.dir().resolve("tls/" + current))
                .as("the old CA is retired")
                .doesNotExist();
        assertThat(store.tls().issuer().id()).isEqualTo(next);
        assertThat(store.trustedCas()).hasSize(1);
    }

    @Test
    void aRotationCutShortAnywhereLeavesEachCaWholeAndResumesWithoutANewOne() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        String current = store.createCa().id();
        Path tls = store.dir().resolve("tls");

        // Cut short while the next CA's folder was written: a temporary folder nothing names.
        Files.createDirectories(tls.resolve(".ca-123"));
        Files.writeString(tls.resolve(".ca-123/ca.key"), "half a key");
        assertThat(store.trustedCas()).hasSize(1);
        String next = store.nextCa().id();
        assertThat(store.tls().issuer().id()).as("the current CA keeps its key").isEqualTo(current);

        // Cut short after tls/current named the new CA, before tls/next was removed.
        Files.copy(tls.resolve("next"), tls.resolve("current"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(store.trustedCas()).as("both names, one CA").hasSize(1);
        assertThat(store.nextCa().id()).as("the re-run rotates to the same CA").isEqualTo(next);
        store.replaceCa();
        assertThat(store.tls().issuer().id()).isEqualTo(next);
        assertThat(tls.resolve("next")).doesNotExist();
    }

    @Test
    void aDamagedCaSaysWhichFileAndWhatToDo() throws Exception {
        ClusterStore store = new FlotillaHome(home).cluster("c1");
        String id = store.createCa().id();
        Path certificate = store.dir().resolve("tls/" + id + "/ca.crt");
        Files.writeString(certificate, "not a certificate");

        assertThatThrownBy(store::tls)
                .hasMessage(
                        "cannot read the TLS CA of cluster 'c1' in %s: %s holds no PEM certificate (-----BEGIN CERTIFICATE-----). Restore the file from a backup of this folder, or run `flotilla cluster tls rotate c1` to give the agents a new CA"
                                .formatted(certificate, certificate));
        Files.writeString(store.dir().resolve("tls/current"), "../../etc\n");
        assertThatThrownBy(store::tls).hasMessageContaining("it names no CA ('../../etc')");
    }
}
