package io.flotilla.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real OpenSSH server whose sshd_config has no {@code Subsystem sftp}: files go over the exec channel. */
class SshWithoutSftpTest {
    @TempDir
    static Path serverDir;

    @TempDir
    Path dir;

    private static TestingSshd sshd;
    private static Executor executor;

    @BeforeAll
    static void startServer() throws Exception {
        sshd = TestingSshd.startWithoutSftp(serverDir);
        executor = sshd.connect(4, 4).executor("127.0.0.1");
    }

    @AfterAll
    static void stopServer() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void directoriesAreMadeWithTheirModeAndFilesFound() throws Exception {
        String top = dir.resolve("deploy").toString();
        String nested = top + "/data/mariadb-3306";
        assertThat(executor.exists(nested)).isFalse();
        executor.mkdirs(nested, "0750");
        executor.mkdirs(nested, "0750");
        assertThat(executor.exists(nested)).isTrue();
        for (String each : List.of(top, top + "/data", nested)) {
            assertThat(mode(Path.of(each))).as(each).isEqualTo("rwxr-x---");
        }
        executor.put(nested + "/file", new byte[] {1}, "0644");
        assertThatThrownBy(() -> executor.mkdirs(nested + "/file/below", "0755"))
                .isInstanceOf(ExecException.class)
                .hasMessage("%s/file on 127.0.0.1 exists and is not a directory".formatted(nested));
        executor.remove(top);
        assertThat(executor.exists(top)).isFalse();
    }

    @Test
    void putWritesOnceWithItsModeAndSkipsUnchangedContent() throws Exception {
        Path file = dir.resolve("conf/it's a secret");
        byte[] content = "s3cret\nwith a line\0and a NUL".getBytes(StandardCharsets.UTF_8);
        assertThat(executor.put(file.toString(), content, "0600")).isTrue();
        assertThat(Files.readAllBytes(file)).isEqualTo(content);
        assertThat(mode(file)).isEqualTo("rw-------");
        assertThat(mode(file.getParent())).as("a folder put made").isEqualTo("rwxr-xr-x");
        long modified = Files.getLastModifiedTime(file).toMillis();
        assertThat(executor.put(file.toString(), content, "0600"))
                .as("same content and mode")
                .isFalse();
        assertThat(Files.getLastModifiedTime(file).toMillis()).isEqualTo(modified);
        assertThat(executor.put(file.toString(), content, "0755"))
                .as("a mode change is a change")
                .isTrue();
        assertThat(mode(file)).isEqualTo("rwxr-xr-x");
        assertThat(executor.put(file.toString(), new byte[0], "0755")).isTrue();
        assertThat(Files.readAllBytes(file)).isEmpty();
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertThat(files.map(each -> each.getFileName().toString())).containsExactly("it's a secret");
        }
        assertThat(sshd.sftpChannelsOpened()).isZero();
    }

    @Test
    void aDirectoryWhereTheFileGoesIsNeitherEnteredNorReplaced() throws Exception {
        Path target = dir.resolve("taken");
        Files.createDirectories(target.resolve("inside"));
        assertThatThrownBy(() -> executor.put(target.toString(), "x".getBytes(StandardCharsets.UTF_8), "0644"))
                .isInstanceOf(ExecException.class);
        try (Stream<Path> files = Files.list(target)) {
            assertThat(files.map(each -> each.getFileName().toString())).containsExactly("inside");
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(each -> each.getFileName().toString()))
                    .as("no temporary file is left")
                    .filteredOn(name -> name.contains("taken"))
                    .containsExactly("taken");
        }
    }

    @Test
    void aFileHasItsModeFromItsFirstByte() throws Exception {
        Path target = Files.createDirectories(dir.resolve("secrets")).resolve("backup.cnf");
        assertThat(TestingFifo.modeWhileCopying(
                        executor, dir.resolve("source"), target, "0640", "[client]\npassword=", "s3cret\n"))
                .as("the mode of the file while it is written")
                .isEqualTo("rw-------");
        assertThat(mode(target)).isEqualTo("rw-r-----");
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
