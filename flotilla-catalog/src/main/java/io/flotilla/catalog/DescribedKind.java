package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.ComponentSchema;
import io.flotilla.topology.Instance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A component Flotilla validates, orders and renders but does not run on its own machines yet:
 * the TiDB family, whose binaries come from a TiUP mirror that this machine cannot reach.
 *
 * @param flags the command line after the binary, built from the instance
 * @param configFile the TOML file rendered from {@code server_configs} and {@code config}, or empty
 * @param probe what readiness means once it runs
 * @param kubernetes how it runs as pods, when it does
 */
public record DescribedKind(
        ComponentSchema schema,
        String binaryName,
        Set<String> tierDependencies,
        Duration readyTimeout,
        String configFile,
        Function<InstanceContext, List<String>> flags,
        Function<InstanceContext, Probe> probe,
        Optional<KubernetesPods> kubernetes)
        implements ComponentKind {
    public DescribedKind {
        requireNonNull(schema, "schema is null");
        requireNonNull(binaryName, "binaryName is null");
        tierDependencies = Set.copyOf(tierDependencies);
        requireNonNull(readyTimeout, "readyTimeout is null");
        requireNonNull(configFile, "configFile is null");
        requireNonNull(flags, "flags is null");
        requireNonNull(probe, "probe is null");
        requireNonNull(kubernetes, "kubernetes is null");
    }

    @Override
    public Support support() {
        return Support.describedOnly(
                "its tarball can be fetched from a TiUP mirror (component_sources), but starting and operating it is not supported yet");
    }

    @Override
    public String binary() {
        return "bin/" + binaryName;
    }

    @Override
    public String binaryPackage() {
        return "tiup mirror component " + schema.component();
    }

    @Override
    public Set<String> dependencies(String tier) {
        return tierDependencies;
    }

    @Override
    public List<String> commandLine(InstanceContext context) {
        List<String> command = new ArrayList<>();
        command.add(context.deployDir().resolve(binary()).toString());
        command.addAll(flags.apply(context));
        return List.copyOf(command);
    }

    @Override
    public Map<String, String> configFiles(InstanceContext context) {
        if (configFile.isEmpty()) {
            return Map.of();
        }
        Instance instance = context.instance();
        return Map.of(
                "conf/" + configFile,
                Toml.render("Written by Flotilla for %s %s.".formatted(name(), instance.id()), instance.config()));
    }

    @Override
    public Probe readiness(InstanceContext context) {
        return probe.apply(context);
    }
}
