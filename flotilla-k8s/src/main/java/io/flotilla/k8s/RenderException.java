package io.flotilla.k8s;

import java.util.List;

/**
 * A topology or options that cannot become manifests, with every problem found, each naming the
 * section, instance or option it is about. Nothing has been applied when it is thrown.
 */
public final class RenderException extends RuntimeException {
    /** The stable code scripts can match on. */
    public static final String CODE = "K8S_RENDER_REFUSED";

    private final List<String> problems;

    public RenderException(List<String> problems) {
        super(message(problems));
        this.problems = List.copyOf(problems);
    }

    public String code() {
        return CODE;
    }

    public List<String> problems() {
        return problems;
    }

    private static String message(List<String> problems) {
        StringBuilder message = new StringBuilder("the topology cannot be rendered for Kubernetes: %d problem%s"
                .formatted(problems.size(), problems.size() == 1 ? "" : "s"));
        problems.forEach(problem -> message.append("\n  ").append(problem));
        return message.toString();
    }
}
