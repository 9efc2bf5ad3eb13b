package io.flotilla.k8s;

/** Receives one line per step of an apply, scale or delete: a tier applied, a tier ready, an object deleted. */
@FunctionalInterface
public interface KubernetesProgress {
    KubernetesProgress NONE = line -> {};

    void report(String line);
}
