package io.flotilla.step;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A node of a plan: an action on one host, or a group of steps run one after another
 * ({@link Serial}, stopping at the first failure) or side by side ({@link Parallel}, bounded,
 * cancelling the others on the first failure).
 */
public sealed interface Step {
    String title();

    /**
     * One idempotent piece of work.
     *
     * @param id stable across runs of the same operation on the same topology: the journal keys on it
     * @param host the host it acts on, for progress and errors
     */
    record Action(String id, String title, String host, Task task) implements Step {
        public Action {
            requireNonNull(id, "id is null");
            requireNonNull(title, "title is null");
            requireNonNull(host, "host is null");
            requireNonNull(task, "task is null");
        }
    }

    record Serial(String title, List<Step> steps) implements Step {
        public Serial {
            requireNonNull(title, "title is null");
            steps = List.copyOf(steps);
        }
    }

    record Parallel(String title, List<Step> steps) implements Step {
        public Parallel {
            requireNonNull(title, "title is null");
            steps = List.copyOf(steps);
        }
    }

    static Action action(String id, String title, String host, Task task) {
        return new Action(id, title, host, task);
    }

    static Serial serial(String title, List<? extends Step> steps) {
        return new Serial(title, List.copyOf(steps));
    }

    static Parallel parallel(String title, List<? extends Step> steps) {
        return new Parallel(title, List.copyOf(steps));
    }
}
