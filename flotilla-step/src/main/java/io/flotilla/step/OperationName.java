package io.flotilla.step;

/**
 * Every operation a plan can be compiled for. Its {@link #label()} is what the journal, the audit
 * log and {@code --dry-run} show, and what a plan's fingerprint is made of, so it never changes.
 */
public enum OperationName {
    BOOTSTRAP("bootstrap"),
    DEPLOY("deploy"),
    START("start"),
    STOP("stop"),
    RESTART("restart"),
    RELOAD("reload"),
    DESTROY("destroy"),
    SCALE_OUT("scale-out"),
    SCALE_IN("scale-in"),
    SWITCHOVER("switchover"),
    TLS_ROTATE("tls-rotate"),
    K8S_APPLY("k8s-apply"),
    K8S_SCALE("k8s-scale"),
    K8S_DELETE("k8s-delete");

    private final String label;

    OperationName(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
