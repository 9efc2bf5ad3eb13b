package io.flotilla.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void aFileIsOwnerOnlyUnlessAskedAndKeepsTheModeItWasGiven() throws Exception {
        Path state = dir.resolve("state/instance.json");
        AtomicFiles.write(state, "{}".getBytes(UTF_8));
        assertThat(mode(state)).isEqualTo("rw-------");

        Path options = dir.resolve("conf/my.cnf");
        AtomicFiles.write(options, "[mysqld]\n".getBytes(UTF_8), PosixFilePermissions.fromString("rw-r-----"));
        assertThat(mode(options)).isEqualTo("rw-r-----");
        AtomicFiles.write(
                options, "[mysqld]\nport=3306\n".getBytes(UTF_8), PosixFilePermissions.fromString("rw-r-----"));
        assertThat(Files.readString(options)).isEqualTo("[mysqld]\nport=3306\n");
        assertThat(mode(options)).isEqualTo("rw-r-----");
        try (Stream<Path> files = Files.list(options.getParent())) {
            assertThat(files).containsExactly(options);
        }
    }

    private static String mode(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }
}
