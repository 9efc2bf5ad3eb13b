package io.flotilla.k8s;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An apply, scale or delete that Kubernetes refused or that did not finish, with a stable code and
 * a message that names the objects and pods it is about.
 */
public final class KubernetesApplyException extends RuntimeException {
    /** Pre-flight found problems; nothing was created or changed. */
    public static final String REFUSED = "K8S_APPLY_REFUSED";
    /** A tier did not become ready in time; the tiers after it were not applied. */
    public static final String NOT_READY = "K8S_NOT_READY";
    /** The API server refused a write. */
    public static final String FAILED = "K8S_APPLY_FAILED";
    /** A scale the topology does not allow; nothing was changed. */
    public static final String SCALE_REFUSED = "K8S_SCALE_REFUSED";

    private final String code;

    public KubernetesApplyException(String code, String message) {
        super(message);
        this.code = requireNonNull(code, "code is null");
    }

    public KubernetesApplyException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = requireNonNull(code, "code is null");
    }

    static KubernetesApplyException refused(List<String> problems) {
        StringBuilder message = new StringBuilder("nothing was applied: %d problem%s found before applying"
                .formatted(problems.size(), problems.size() == 1 ? "" : "s"));
        problems.forEach(problem -> message.append("\n  ").append(problem));
        return new KubernetesApplyException(REFUSED, message.toString());
    }

    public String code() {
        return code;
    }
}
