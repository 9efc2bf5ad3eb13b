package io.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.api.SqlAdmin;
import java.nio.charset.StandardCharsets;
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
        String value = "SET @a = '#1', @b = \"two\", @c = 'back\\slash'";
        assertThat(persistedAndReadBack("init_connect", value))
                .isEqualTo("--port=3306\n--init_connect=" + value + "\n");
    }

    @Test
    void aValueEndingInAMultiByteCharacterKeepsItsLastByte() throws Exception {
        // "à" is C3 A0 in UTF-8, and the server trims A0 (a Latin-1 space) off an unquoted value.
        String value = "voilà";
        assertThat(persistedAndReadBack("init_connect", value))
                .isEqualTo("--port=3306\n--init_connect=" + value + "\n");
    }

    /** Persists {@code key = value} as SET CONFIG does and answers what my_print_defaults reads back. */
    private String persistedAndReadBack(String key, String value) throws Exception {
        Path cnf = dir.resolve("my.cnf");
        Files.writeString(cnf, "[mariadbd]\nport = 3306\n");
        SqlAdmin admin = new SqlAdmin("127.0.0.1", 3306, "root", "/x", cnf.toString(), "mariadbd", "");
        InstanceAdmin.persist(admin, key, value);
        Process process = new ProcessBuilder(
                        new ArrayList<>(List.of("my_print_defaults", "--defaults-file=" + cnf, "mariadbd")))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return output;
    }
}
