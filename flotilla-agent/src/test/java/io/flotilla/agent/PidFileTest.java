package io.flotilla.agent;

import static io.flotilla.testing.Eventually.assertEventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidFileTest {
    @TempDir
    Path dir;

    @Test
    void readsBothFormsAndWritesThePidWithItsStartTime() throws IOException {
        Path file = dir.resolve("x.pid");
        Files.writeString(file, "812 4442373\n");
        assertThat(PidFile.read(file)).contains(new PidFile(812, OptionalLong.of(4442373)));
        Files.writeString(file, "812\n");
        assertThat(PidFile.read(file)).contains(new PidFile(812, OptionalLong.empty()));

        new PidFile(813, OptionalLong.of(17)).write(file);
        assertThat(file).hasContent("813 17\n");
        assertThat(PidFile.read(dir.resolve("missing.pid"))).isEmpty();
    }

    @Test
    void aDamagedFileNamesNoProcess() throws IOException {
        Path file = dir.resolve("x.pid");
        for (String text :
                List.of("", "0", "-5", "12x", "1 2 3", "1  2", "99999999999999999999", "1 99999999999999999999")) {
            Files.writeString(file, text);
            assertThat(PidFile.read(file)).as("'%s'", text).isEmpty();
        }
    }

    @Test
    void theStartTimeIsCountedAfterTheLastParenthesisOfTheProcesssName() throws Exception {
        // A name with spaces and ')' shifts every field a plain split counts.
        Path program = dir.resolve("a) b (c");
        Files.copy(Path.of("/bin/sleep"), program, StandardCopyOption.COPY_ATTRIBUTES);
        Process process = new ProcessBuilder(program.toString(), "300").start();
        try {
            assertEventually(
                    Duration.ofSeconds(10),
                    () -> assertThat(Files.readString(Path.of("/proc/%d/comm".formatted(process.pid()))))
                            .isEqualTo("a) b (c\n"));
            String stat = Files.readString(Path.of("/proc/%d/stat".formatted(process.pid())));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long expected = Long.parseLong(fields[19]);

            assertThat(PidFile.startTime(process.pid())).hasValue(expected);
            assertThat(PidFile.of(process.pid()).text()).isEqualTo("%d %d\n".formatted(process.pid(), expected));
        } finally {
            process.destroyForcibly().waitFor();
        }
        assertThat(PidFile.startTime(process.pid())).isEmpty();
        assertThat(PidFile.of(process.pid()).text()).isEqualTo(process.pid() + "\n");
    }
}
