package io.flotilla.cli;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.flotilla.agent.api.AgentException;
import io.flotilla.exec.ExecException;
import io.flotilla.k8s.KubernetesApplyException;
import io.flotilla.k8s.RenderException;
import io.flotilla.step.OperationException;
import io.flotilla.topology.Problem;
import io.flotilla.topology.TopologyException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/** Turns a failed command into a message that says what happened and what to do, and exit code 1. */
final class Failures implements CommandLine.IExecutionExceptionHandler {
    private final Output output;

    Failures(Output output) {
        this.output = output;
    }

    @Override
    public int handleExecutionException(Exception error, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        switch (error) {
            case TopologyException topology -> {
                output.err()
                        .printf(
                                "Error: the topology has %d problem%s:%n",
                                topology.problems().size(), topology.problems().size() == 1 ? "" : "s");
                for (Problem problem : topology.problems()) {
                    output.err().println(problem);
                }
                output.err().println("Nothing was changed.");
            }
            case OperationException operation -> output.err().printf("Error: %s%n", operation.getMessage());
            case AgentException agent -> output.err().printf("Error: %s%n", agent.getMessage());
            case ExecException exec -> output.err().printf("Error: %s%n", exec.getMessage());
            case RenderException render -> output.err().printf("Error: %s%n", render.getMessage());
            case KubernetesApplyException apply -> output.err().printf("Error: %s%n", apply.getMessage());
            case KubernetesClientException kubernetes ->
                output.err()
                        .printf(
                                "Error: the Kubernetes API server refused or did not answer: %s; check --kubeconfig and"
                                        + " --context%n",
                                kubernetes.getMessage());
            case UncheckedIOException io ->
                output.err()
                        .printf(
                                "Error: %s: %s%n",
                                io.getMessage(), io.getCause().getMessage());
            default -> {
                output.err().printf("Error: %s%n", error);
                error.printStackTrace(output.err());
            }
        }
        return 1;
    }
}
