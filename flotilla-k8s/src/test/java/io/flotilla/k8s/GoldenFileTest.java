package io.flotilla.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

class GoldenFileTest {
    @TempDir
    Path dir;

    @Test
    void aMismatchNamesTheFirstDifferentLineAndCarriesBothTexts() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), "kind: Service\nname: a\n");

        assertThatThrownBy(() -> GoldenFile.assertMatches(dir, "a.yaml", "kind: Service\nname: b\n", false))
                .isInstanceOfSatisfying(AssertionFailedError.class, error -> {
                    assertThat(error.getExpected().getValue()).isEqualTo("kind: Service\nname: a\n");
                    assertThat(error.getActual().getValue()).isEqualTo("kind: Service\nname: b\n");
                })
                .hasMessage("""
                        rendered YAML differs from %s at line 2:
                          expected: name: a
                          actual:   name: b
                        if the change is intended, rerun with -Dgolden.update=true and review the diff""".formatted(dir.resolve("a.yaml")));
    }

    @Test
    void anUpdateRewritesTheFile() throws IOException {
        GoldenFile.assertMatches(dir, "b.yaml", "kind: Job\n", true);

        assertThat(dir.resolve("b.yaml")).hasContent("kind: Job");
        GoldenFile.assertMatches(dir, "b.yaml", "kind: Job\n", false);
    }
}
