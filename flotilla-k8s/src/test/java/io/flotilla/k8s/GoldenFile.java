package io.flotilla.k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.opentest4j.AssertionFailedError;

/**
 * Compares rendered text with a file under {@code src/test/resources/golden/}. After a deliberate
 * change, rewrite the files with {@code mvn -pl flotilla-k8s test -Dgolden.update=true} and review
 * the diff in git before committing it.
 */
final class GoldenFile {
    private static final Path DIRECTORY = Path.of("src", "test", "resources", "golden");

    private GoldenFile() {}

    static void assertMatches(String name, String actual) throws IOException {
        assertMatches(DIRECTORY, name, actual, Boolean.getBoolean("golden.update"));
    }

    static void assertMatches(Path directory, String name, String actual, boolean update) throws IOException {
        Path file = directory.resolve(name);
        if (update) {
            Files.createDirectories(directory);
            Files.writeString(file, actual, StandardCharsets.UTF_8);
            return;
        }
        String expected;
        try {
            expected = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new AssertionFailedError(
                    "golden file %s does not exist; create it with -Dgolden.update=true".formatted(file));
        }
        if (!expected.equals(actual)) {
            // The expected and actual values let an IDE show the whole diff; the message points at the first line.
            throw new AssertionFailedError(firstDifference(file, expected, actual), expected, actual);
        }
    }

    private static String firstDifference(Path file, String expected, String actual) {
        String[] want = expected.split("\n", -1);
        String[] got = actual.split("\n", -1);
        int line = 0;
        while (line < want.length && line < got.length && want[line].equals(got[line])) {
            line++;
        }
        return ("rendered YAML differs from %s at line %d:%n  expected: %s%n  actual:   %s%n"
                        + "if the change is intended, rerun with -Dgolden.update=true and review the diff")
                .formatted(
                        file,
                        line + 1,
                        line < want.length ? want[line] : "<end of file>",
                        line < got.length ? got[line] : "<end of file>");
    }
}
