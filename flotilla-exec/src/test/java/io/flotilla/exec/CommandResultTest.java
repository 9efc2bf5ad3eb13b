package io.flotilla.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CommandResultTest {
    @Test
    void failureNamesTheProgramAndItsExitCodeAndIndentsTheLastTwentyLinesItPrinted() {
        String stdout = IntStream.rangeClosed(1, 21).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"));
        CommandResult result = new CommandResult(3, stdout, "error: disk full\n");

        assertThat(result.failure(
                        "mariadb 10.0.0.2:3306: initialising its data failed", List.of("mariadbd", "--bootstrap")))
                .isEqualTo("mariadb 10.0.0.2:3306: initialising its data failed (mariadbd exited with 3):\n"
                        + IntStream.rangeClosed(3, 21)
                                .mapToObj(i -> "    line " + i + "\n")
                                .collect(Collectors.joining())
                        + "    error: disk full");
    }
}
