package io.flotilla.cli;

import io.flotilla.plan.Selection;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

abstract class SelectiveCommand extends LifecycleCommand {
    @Option(
            names = {"-R", "--role"},
            split = ",",
            paramLabel = "ROLE",
            description = "Only instances of these roles (mariadb, haproxy, prometheus, ...).")
    List<String> roles = List.of();

    @Option(
            names = {"-N", "--node"},
            split = ",",
            paramLabel = "HOST:PORT",
            description = "Only these instances.")
    List<String> nodes = List.of();

    @Override
    Selection selection() {
        return new Selection(Set.copyOf(roles), Set.copyOf(nodes));
    }

    @Override
    List<String> words() {
        List<String> words = new ArrayList<>(super.words());
        if (!roles.isEmpty()) {
            words.add("-R");
            words.add(String.join(",", roles));
        }
        if (!nodes.isEmpty()) {
            words.add("-N");
            words.add(String.join(",", nodes));
        }
        return words;
    }
}
