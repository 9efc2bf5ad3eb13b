package io.flotilla.catalog;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pods of one tier, in the catalog's words; the Kubernetes renderer adds what every pod has
 * (its name in {@code POD_NAME}, probes, resources, the {@code config} volume holding {@link
 * #files}, and the {@code data} claim of a stateful tier).
 *
 * @param command the container's command; empty for the image's own
 * @param ports the container's ports, by name
 * @param env the container's environment after {@code POD_NAME}
 * @param files the tier's ConfigMap, mounted as the {@code config} volume
 * @param peerPorts the ports of the headless Service that names the pods; empty for none
 * @param servicePorts the ports of the tier's Service; empty for none
 * @param init a container that runs to its end before the pod starts
 */
public record PodTemplate(
        List<String> command,
        List<String> args,
        List<Port> ports,
        List<Env> env,
        List<Mount> mounts,
        Map<String, String> files,
        List<String> peerPorts,
        List<String> servicePorts,
        Optional<InitContainer> init) {
    public PodTemplate {
        command = List.copyOf(command);
        args = List.copyOf(args);
        ports = List.copyOf(ports);
        env = List.copyOf(env);
        mounts = List.copyOf(mounts);
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
        peerPorts = List.copyOf(peerPorts);
        servicePorts = List.copyOf(servicePorts);
        requireNonNull(init, "init is null");
    }

    public static Builder builder() {
        return new Builder();
    }

    public record Port(String name, int port) {}

    /** A variable with a value, a key of the passwords' Secret, or a field of the pod (downward API): one of the three. */
    public record Env(String name, String value, String secretKey, String fieldPath) {
        public static Env value(String name, String value) {
            return new Env(name, value, null, null);
        }

        public static Env secret(String name, String key) {
            return new Env(name, null, key, null);
        }

        public static Env field(String name, String path) {
            return new Env(name, null, null, path);
        }
    }

    /**
     * A volume ({@code data} or {@code config}) at {@code path}; with a {@code file}, only that
     * key of the ConfigMap.
     */
    public record Mount(String volume, String path, String file) {
        public static Mount of(String volume, String path) {
            return new Mount(volume, path, null);
        }
    }

    /** A shell script run with {@code /bin/sh -c} in {@code image}. */
    public record InitContainer(String name, String image, String script, List<Env> env) {
        public InitContainer {
            env = List.copyOf(env);
        }
    }

    public static final class Builder {
        private final List<String> command = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private final List<Port> ports = new ArrayList<>();
        private final List<Env> env = new ArrayList<>();
        private final List<Mount> mounts = new ArrayList<>();
        private final Map<String, String> files = new LinkedHashMap<>();
        private final List<String> peerPorts = new ArrayList<>();
        private final List<String> servicePorts = new ArrayList<>();
        private InitContainer init;

        private Builder() {}

        public Builder command(String... command) {
            this.command.addAll(List.of(command));
            return this;
        }

        public Builder args(String... args) {
            this.args.addAll(List.of(args));
            return this;
        }

        public Builder port(String name, int port) {
            ports.add(new Port(name, port));
            return this;
        }

        public Builder env(Env... env) {
            this.env.addAll(List.of(env));
            return this;
        }

        public Builder mount(String volume, String path) {
            mounts.add(Mount.of(volume, path));
            return this;
        }

        public Builder mountFile(String volume, String path, String file) {
            mounts.add(new Mount(volume, path, file));
            return this;
        }

        public Builder file(String name, String content) {
            files.put(name, content);
            return this;
        }

        public Builder peerPorts(String... names) {
            peerPorts.addAll(List.of(names));
            return this;
        }

        public Builder servicePorts(String... names) {
            servicePorts.addAll(List.of(names));
            return this;
        }

        public Builder init(InitContainer init) {
            this.init = init;
            return this;
        }

        public PodTemplate build() {
            return new PodTemplate(
                    command, args, ports, env, mounts, files, peerPorts, servicePorts, Optional.ofNullable(init));
        }
    }
}
