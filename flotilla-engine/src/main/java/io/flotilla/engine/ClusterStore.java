package io.flotilla.engine;

import io.flotilla.agent.api.Pem;
import io.flotilla.catalog.ClusterSecrets;
import io.flotilla.exec.LocalExecutor;
import io.flotilla.plan.ClusterTls;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.tls.CertificateAuthority;
import io.flotilla.tls.IssuedCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One cluster's folder on the control machine: its topology, its metadata, its secrets (mode
 * 0600), its TLS CA ({@code tls/}), its journal and its lock. Every write is atomic.
 */
public final class ClusterStore {
    private static final String SECRETS = "secrets.json";
    private static final String TLS = "tls";
    private static final String CURRENT = "current";
    private static final String NEXT = "next";
    private static final Pattern CA_ID = Pattern.compile("[0-9a-f]{12}");
    private static final String CA_KEY = "ca.key";
    private static final String CA_CERTIFICATE = "ca.crt";
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
                            .formatted(file, PosixFilePermissions.toString(permissions), file));
        }
        try {
            return Json.MAPPER.readValue(text, ClusterSecrets.class);
        } catch (RuntimeException e) {
            throw unreadable(ErrorCode.STATE_DAMAGED, "secrets", file, e);
        }
    }

    /**
     * Makes the cluster's CA when it has none, for a new deploy beside {@link #createSecrets()}.
     *
     * <p>Each CA has a folder of its own, {@code tls/<id>/} ({@code ca.key}, mode 0600 from the first
     * byte, and {@code ca.crt}), made whole under a temporary name and renamed into place; the files
     * {@code tls/current} and {@code tls/next} name the cluster's CA and the one a {@code tls rotate}
     * moves it to. Each change is one rename, so a crash never leaves a key beside another CA's
     * certificate.
     */
    public CertificateAuthority createCa() {
        Optional<Path> current = caFolder(CURRENT);
        if (current.isPresent()) {
            return readCa(current.get());
        }
        CertificateAuthority ca = writeCa(CertificateAuthority.create(name));
        point(CURRENT, ca.id());
        return ca;
    }

    /**
     * How the cluster's agents are trusted: by the cluster's CA and, while a {@code tls rotate} is
     * unfinished, by the next one too; none for a cluster deployed before agents had TLS. Only
     * certificates are read here; the CA's key is read when a certificate is issued.
     */
    public ClusterTls tls() {
        List<X509Certificate> trusted = trustedCas();
        if (trusted.isEmpty()) {
            return ClusterTls.none(name);
        }
        Path issuer = caFolder(CURRENT).or(() -> caFolder(NEXT)).orElseThrow();
        return ClusterTls.of(name, trusted, () -> readCa(issuer));
    }

    /** The CA certificates the cluster's agents may show (see {@link #tls()}), for clients that only ask. */
    public List<X509Certificate> trustedCas() {
        List<X509Certificate> trusted = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (String pointer : List.of(CURRENT, NEXT)) {
            caFolder(pointer).filter(seen::add).ifPresent(folder -> trusted.add(readCaCertificate(folder)));
        }
        return trusted;
    }

    /**
     * The CA a {@code tls rotate} moves the agents to, named by {@code tls/next} until {@link
     * #replaceCa()}: made on the first run, read again by a run that resumes one cut short (also one
     * cut short after the replacement, when it is already the cluster's CA).
     */
    public CertificateAuthority nextCa() {
        Optional<Path> next = caFolder(NEXT);
        if (next.isPresent()) {
            return readCa(next.get());
        }
        CertificateAuthority ca = writeCa(CertificateAuthority.create(name));
        point(NEXT, ca.id());
        return ca;
    }

    /** Makes the next CA the cluster's (one rename of {@code tls/current}), then retires the old one. */
    public void replaceCa() {
        Path tls = dir.resolve(TLS);
        Optional<String> next = pointer(NEXT);
        if (next.isEmpty()) {
            return;
        }
        Optional<String> old = pointer(CURRENT);
        point(CURRENT, next.get());
        try {
            Files.deleteIfExists(tls.resolve(NEXT));
            if (old.isPresent() && !old.get().equals(next.get())) {
                deleteTree(tls.resolve(old.get()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot retire the old CA of cluster '%s' in %s".formatted(name, tls), e);
        }
    }

    /** The folder {@code tls/<pointer>} names, when it names one that is whole. */
    private Optional<Path> caFolder(String pointer) {
        return pointer(pointer)
                .map(id -> dir.resolve(TLS).resolve(id))
                .filter(folder -> Files.exists(folder.resolve(CA_CERTIFICATE)));
    }

    private Optional<String> pointer(String pointer) {
        Path file = dir.resolve(TLS).resolve(pointer);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            String id = Files.readString(file).strip();
            if (!CA_ID.matcher(id).matches()) {
                throw tlsDamaged(file, new IllegalArgumentException("it names no CA ('%s')".formatted(id)));
            }
            return Optional.of(id);
        } catch (IOException e) {
            throw tlsDamaged(file, e);
        }
    }

    private void point(String pointer, String id) {
        try {
            LocalExecutor.writeAtomically(
                    dir.resolve(TLS).resolve(pointer), (id + "\n").getBytes(StandardCharsets.UTF_8), "0644");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write %s of cluster '%s'".formatted(pointer, name), e);
        }
    }

    /** Writes the CA's folder whole under a temporary name, then renames it to {@code tls/<id>}. */
    private CertificateAuthority writeCa(CertificateAuthority ca) {
        Path tls = dir.resolve(TLS);
        Path folder = tls.resolve(ca.id());
        FileAttribute<Set<PosixFilePermission>> owner =
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        try {
            Files.createDirectories(tls, owner);
            Path temporary = Files.createTempDirectory(tls, ".ca-", owner);
            LocalExecutor.writeAtomically(
                    temporary.resolve(CA_KEY), ca.identity().keyPem(), "0600");
            LocalExecutor.writeAtomically(temporary.resolve(CA_CERTIFICATE), ca.certificatePem(), "0644");
            Files.move(temporary, folder, StandardCopyOption.ATOMIC_MOVE);
            return ca;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the TLS CA of cluster '%s' in %s".formatted(name, folder), e);
        }
    }

    private static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path each : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(each);
            }
        }
    }

    private CertificateAuthority readCa(Path folder) {
        Path keyFile = folder.resolve(CA_KEY);
        Path certificateFile = folder.resolve(CA_CERTIFICATE);
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(keyFile);
            if (!permissions.equals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))) {
                throw new OperationException(
                        ErrorCode.SECRETS_EXPOSED,
                        "%s is readable by others (%s); run `chmod 600 %s`"
                                .formatted(keyFile, PosixFilePermissions.toString(permissions), keyFile));
            }
            PrivateKey key = Pem.privateKey(Files.readString(keyFile), keyFile.toString());
            return new CertificateAuthority(new IssuedCertificate(key, readCaCertificate(folder)));
        } catch (IOException | IllegalArgumentException e) {
            throw tlsDamaged(keyFile, e);
        }
    }

    private X509Certificate readCaCertificate(Path folder) {
        Path file = folder.resolve(CA_CERTIFICATE);
        try {
            return Pem.certificates(Files.readString(file), file.toString()).getFirst();
        } catch (IOException | IllegalArgumentException e) {
            throw tlsDamaged(file, e);
        }
    }

    private OperationException tlsDamaged(Path file, Exception e) {
        String message = e instanceof IOException ? e.toString() : e.getMessage();
        return new OperationException(
                ErrorCode.TLS,
                "cannot read the TLS CA of cluster '%s' in %s: %s. Restore the file from a backup of this folder, or run `flotilla cluster tls rotate %s` to give the agents a new CA"
                        .formatted(name, file, message, name));
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
            case CharacterCodingException ignored -> why = "it is not UTF-8 text";
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
        try {
            deleteTree(dir);
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
