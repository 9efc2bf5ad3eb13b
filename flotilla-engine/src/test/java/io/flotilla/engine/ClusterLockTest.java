package io.flotilla.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.step.OperationException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondHolderIsRefusedWithTheFirstOnesPid() {
        Path file = dir.resolve("lock");
        try (ClusterLock ignored = ClusterLock.acquire(file, "c1", "flotilla cluster start c1")) {
            assertThatThrownBy(() -> ClusterLock.acquire(file, "c1", "flotilla cluster stop c1"))
                    .isInstanceOf(OperationException.class)
                    .hasMessageStartingWith("cluster 'c1' is busy: pid %d is running `flotilla cluster start c1` since "
                            .formatted(ProcessHandle.current().pid()))
                    .hasMessageEndingWith("; wait for it to finish or stop that process");
        }
        try (ClusterLock again = ClusterLock.acquire(file, "c1", "flotilla cluster stop c1")) {
            assertThat(again).isNotNull();
        }
    }
}
