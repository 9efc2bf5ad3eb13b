package io.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.SqlAdmin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A setting SET CONFIG writes to the option file reads back as given, by the server's own my_print_defaults. */
class OptionFilePersistTest {
    @TempDir
    Path dir;

    @Test
    void aValueWithACommentCharacterQuotesAndBackslashesReadsBackWhole() throws Exception {
        Path cnf = dir.resolve("my.cnf");
        Files.writeString(cnf, "[mariadbd]\nport = 3306\n");
        SqlAdmin admin = new SqlAdmin("127.0.0.1", 3306, "root", "/x", cnf.toString(), "mariadbd", "");
        String value = "SET @a = '#1', @b = \"two\", @c = 'back\\slash'";
        InstanceAdmin.persist(admin, "init_connect", value);
        Process process = new ProcessBuilder(
                        new ArrayList<>(List.of("my_print_defaults", "--defaults-file=" + cnf, "mariadbd")))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(output).isEqualTo("--port=3306\n--init_connect=" + value + "\n");
    }
}
