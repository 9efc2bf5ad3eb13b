package io.flotilla.engine;

import io.flotilla.catalog.ClusterSecrets;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One cluster's folder on the control machine: its topology, its metadata, its secrets (mode
 * 0600), its journal and its lock. Every write is atomic.
 */
public final class ClusterStore {
    private static final Pattern NAME = Pattern.compile("^[a-zA-Z0-9\\-_.]+$");
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final Path dir;

    ClusterStore(String name, Path dir) {
        this.name = name;
        this.dir = dir;
    }

    public static void checkName(String name) {
        if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new OperationException(
                    ErrorCode.BAD_NAME,
                    "cluster name '%s' is invalid: use letters, digits, '-', '_' and '.'".formatted(name));
        }
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    public boolean exists() {
        return Files.exists(dir.resolve("meta.json"));
    }

    public Path lockFile() {
        return dir.resolve("lock");
    }

    public Path journalDir() {
        return dir.resolve("journal");
    }

    public Path topologyFile() {
        return dir.resolve("topology.yaml");
    }

    public ClusterMeta meta() {
        try {
            return Json.MAPPER.readValue(Files.readString(dir.resolve("meta.json")), ClusterMeta.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the state of cluster '%s' in %s".formatted(name, dir), e);
        }
    }

    public void writeMeta(ClusterMeta meta) {
        write("meta.json", Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(meta), "0644");
    }

    public String topologyText() {
        try {
            return Files.readString(topologyFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the topology of cluster '%s'".formatted(name), e);
        }
    }

    public void writeTopology(String yaml) {
        write("topology.yaml", yaml, "0644");
    }

    /** The cluster's secrets, generated on first use: never empty, readable by the owner only. */
    public ClusterSecrets secrets() {
        Path file = dir.resolve("secrets.json");
        try {
            if (Files.exists(file)) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
                if (!permissions.equals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))) {
                    throw new OperationException(
                            ErrorCode.SECRETS_EXPOSED,
                            "%s is readable by others (%s); run `chmod 600 %s`"
                                    .formatted(
                                            file,
                                            java.nio.file.attribute.PosixFilePermissions.toString(permissions),
                                            file));
                }
                return Json.MAPPER.readValue(Files.readString(file), ClusterSecrets.class);
            }
            ClusterSecrets secrets = new ClusterSecrets(generate(24), generate(24), generate(40));
            write("secrets.json", Json.MAPPER.writeValueAsString(secrets), "0600");
            return secrets;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the secrets of cluster '%s'".formatted(name), e);
        }
    }

    static String generate(int length) {
        StringBuilder secret = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            secret.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return secret.toString();
    }

    /** Removes the cluster's folder; the audit log keeps its history. */
    public void delete() {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path each : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(each);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    private void write(String file, String content, String mode) {
        try {
            Files.createDirectories(dir);
            LocalExecutor.writeAtomically(dir.resolve(file), content.getBytes(StandardCharsets.UTF_8), mode);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write %s of cluster '%s'".formatted(file, name), e);
        }
    }
}
