package io.flotilla.engine;

import io.flotilla.catalog.ClusterSecrets;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
    private static final String SECRETS = "secrets.json";
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

    /**
     * What the control machine keeps about the cluster; a file that cannot be read or is damaged
     * stops the command with one line that names it.
     */
    public ClusterMeta meta() {
        Path file = dir.resolve("meta.json");
        try {
            return Json.MAPPER.readValue(Files.readString(file), ClusterMeta.class);
        } catch (IOException | RuntimeException e) {
            throw unreadable(ErrorCode.STATE_DAMAGED, "state", file, e);
        }
    }

    public void writeMeta(ClusterMeta meta) {
        write("meta.json", Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(meta), "0644");
    }

    public String topologyText() {
        try {
            return Files.readString(topologyFile());
        } catch (IOException | RuntimeException e) {
            throw unreadable(ErrorCode.STATE_DAMAGED, "topology", topologyFile(), e);
        }
    }

    public void writeTopology(String yaml) {
        write("topology.yaml", yaml, "0644");
    }

    /**
     * Makes the cluster's secrets when it has none yet, for a deploy, which is the only command that
     * may: never empty, readable by the owner only from the first byte.
     */
    public ClusterSecrets createSecrets() {
        if (hasSecrets()) {
            return secrets();
        }
        ClusterSecrets secrets = new ClusterSecrets(generate(24), generate(24), generate(40));
        write(SECRETS, Json.MAPPER.writeValueAsString(secrets), "0600");
        return secrets;
    }

    /** Whether the cluster's secrets file is there, readable or not. */
    public boolean hasSecrets() {
        return Files.exists(dir.resolve(SECRETS)) || Files.isSymbolicLink(dir.resolve(SECRETS));
    }

    /**
     * The cluster's secrets (its root password and agent token): read only, since a new set would
     * lock the cluster out of its own instances and agents. A missing or damaged file stops the
     * command with what to do.
     */
    public ClusterSecrets secrets() {
        Path file = dir.resolve(SECRETS);
        if (!Files.exists(file)) {
            throw new OperationException(
                    ErrorCode.SECRETS_MISSING,
                    ("cluster '%s' has lost its secrets: %s is missing. Restore it from a backup of this folder"
                                    + " (mode 600); each host of the cluster also keeps them in its agent folder"
                                    + " (flotilla-agent-%s under the deploy dir: 'token', 'secrets/root-password',"
                                    + " 'secrets/replication-password')")
                            .formatted(name, file, name));
        }
        Set<PosixFilePermission> permissions;
        String text;
        try {
            permissions = Files.getPosixFilePermissions(file);
            text = Files.readString(file);
        } catch (IOException e) {
            throw unreadable(ErrorCode.SECRETS_MISSING, "secrets", file, e);
        }
        if (!permissions.equals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))) {
            throw new OperationException(
                    ErrorCode.SECRETS_EXPOSED,
                    "%s is readable by others (%s); run `chmod 600 %s`"
                            .formatted(file, java.nio.file.attribute.PosixFilePermissions.toString(permissions), file));
        }
        try {
            return Json.MAPPER.readValue(text, ClusterSecrets.class);
        } catch (RuntimeException e) {
            throw unreadable(ErrorCode.STATE_DAMAGED, "secrets", file, e);
        }
    }

    /** One of the cluster's files that cannot be read or parsed, said in one line with what to do. */
    private OperationException unreadable(ErrorCode code, String what, Path file, Exception e) {
        String why;
        String fix = "restore the file from a backup of this folder";
        switch (e) {
            case AccessDeniedException ignored -> {
                why = "permission denied";
                fix = "give the user running flotilla read access to it";
            }
            case NoSuchFileException ignored -> why = "it is missing";
            case FileSystemException fs when fs.getReason() != null -> why = fs.getReason();
            default -> {
                String message = String.valueOf(e.getMessage());
                int newline = message.indexOf('\n');
                why = newline < 0 ? message : message.substring(0, newline);
            }
        }
        return new OperationException(
                code, "cannot read the %s of cluster '%s' in %s: %s; %s".formatted(what, name, file, why, fix));
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
