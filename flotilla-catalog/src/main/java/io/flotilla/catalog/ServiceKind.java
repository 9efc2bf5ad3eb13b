package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import io.flotilla.agent.api.Probe;
import io.flotilla.topology.ComponentSchema;
import io.flotilla.topology.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A component that differs from the others only in data: a program from a Debian package with
 * its flags, fixed config files, ready once an HTTP path answers, depending on nothing. The
 * exporters and Alertmanager are such components; {@link #standard} lists them.
 *
 * @param arguments the flags after the program, for one instance
 * @param configFiles files under the instance's deploy dir, relative path to content, the same for every instance
 * @param readyPort the port field whose HTTP server answers {@code readyPath}
 * @param readyMarker a text the answer must hold; empty for any 200
 * @param everyHost one instance on every host of the cluster (see {@link ComponentKind#everyHost})
 * @param endpoint the name under which the first instance is shown as an endpoint, when it is one
 */
record ServiceKind(
        ComponentSchema schema,
        String binary,
        String binaryPackage,
        Duration readyTimeout,
        int stopTimeoutSeconds,
        Function<InstanceContext, List<String>> arguments,
        Map<String, String> configFiles,
        String readyPort,
        String readyPath,
        String readyMarker,
        boolean everyHost,
        Optional<String> endpoint)
        implements ComponentKind {
    ServiceKind {
        requireNonNull(schema, "schema is null");
        requireNonNull(binary, "binary is null");
        requireNonNull(binaryPackage, "binaryPackage is null");
        requireNonNull(readyTimeout, "readyTimeout is null");
        requireNonNull(arguments, "arguments is null");
        configFiles = Map.copyOf(configFiles);
        requireNonNull(readyPort, "readyPort is null");
        requireNonNull(readyPath, "readyPath is null");
        requireNonNull(readyMarker, "readyMarker is null");
        requireNonNull(endpoint, "endpoint is null");
    }

    @Override
    public Support support() {
        return Support.RUNNABLE;
    }

    @Override
    public Set<String> dependencies(String tier) {
        return Set.of();
    }

    @Override
    public List<String> commandLine(InstanceContext context) {
        List<String> command = new ArrayList<>(List.of(binary));
        command.addAll(arguments.apply(context));
        return List.copyOf(command);
    }

    @Override
    public Map<String, String> configFiles(InstanceContext context) {
        return configFiles;
    }

    @Override
    public Probe readiness(InstanceContext context) {
        return new Probe.HttpOk(context.localUrl(readyPort, readyPath), readyMarker);
    }

    @Override
    public Map<String, String> endpoints(Topology topology) {
        return endpoint.flatMap(
                        name -> topology.instances(name()).stream().findFirst().map(first -> Map.of(name, first.id())))
                .orElse(Map.of());
    }

    @Override
    public String toString() {
        return "ServiceKind[" + name() + "]";
    }
}
