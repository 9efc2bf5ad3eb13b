package io.flotilla.sql.session;

import io.flotilla.exec.LocalExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * SQL passwords kept in a JSON file readable by its owner only (0600), each generated on first use
 * and never empty. A file that others can read is refused, as the cluster secrets are.
 */
public final class PasswordFile {
    private static final String ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path file;

    public PasswordFile(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The password stored under {@code user}, generated and stored first when there is none. */
    public synchronized String password(String user) {
        Map<String, String> passwords = read();
        String password = passwords.get(user);
        if (password != null && !password.isBlank()) {
            return password;
        }
        password = generate();
        passwords.put(user, password);
        try {
            Files.createDirectories(file.getParent());
            LocalExecutor.writeAtomically(
                    file, JSON.writeValueAsString(passwords).getBytes(StandardCharsets.UTF_8), "0600");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the SQL passwords to %s".formatted(file), e);
        }
        return password;
    }

    private Map<String, String> read() {
        if (!Files.exists(file)) {
            return new LinkedHashMap<>();
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (!permissions.equals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))) {
                throw new IllegalStateException("%s is readable by others (%s); run `chmod 600 %s`"
                        .formatted(file, PosixFilePermissions.toString(permissions), file));
            }
            return new LinkedHashMap<>(
                    JSON.readValue(Files.readString(file), new TypeReference<Map<String, String>>() {}));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the SQL passwords in %s".formatted(file), e);
        }
    }

    private static String generate() {
        StringBuilder password = new StringBuilder(24);
        for (int i = 0; i < 24; i++) {
            password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }
}
