package io.flotilla.exec;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where a secret of a login comes from (a password, or the passphrase of a private key): a file read
 * when it is needed, or what was typed at a prompt. It is never printed: errors use {@link #description()}.
 */
public sealed interface SshPassword {
    /** The password itself; only a session authenticating calls this. */
    String read();

    /** What an error message says about it, never the password. */
    String description();

    static SshPassword ofFile(Path file) {
        return new FromFile(file, "password");
    }

    static SshPassword typed(char[] password) {
        return new Typed(password, "password");
    }

    /** The passphrase of a private key, in a file. */
    static SshPassword passphraseFile(Path file) {
        return new FromFile(file, "passphrase");
    }

    /** The passphrase of a private key, typed at a prompt. */
    static SshPassword typedPassphrase(char[] passphrase) {
        return new Typed(passphrase, "passphrase");
    }

    /** @param secret what the file holds, for messages: {@code password} or {@code passphrase} */
    record FromFile(Path file, String secret) implements SshPassword {
        public FromFile {
            requireNonNull(file, "file is null");
            requireNonNull(secret, "secret is null");
        }

        @Override
        public String read() {
            try {
                String content = Files.readString(file, StandardCharsets.UTF_8);
                return content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
            } catch (IOException e) {
                throw new ExecException(
                        "localhost", "cannot read the %s file %s: %s".formatted(secret, file, e.getMessage()), e);
            }
        }

        @Override
        public String description() {
            return "the %s in %s".formatted(secret, file);
        }
    }

    /** A password or passphrase typed at the terminal; it lives in this process's memory only. */
    final class Typed implements SshPassword {
        private final char[] password;
        private final String secret;

        private Typed(char[] password, String secret) {
            this.password = Arrays.copyOf(requireNonNull(password, "password is null"), password.length);
            this.secret = requireNonNull(secret, "secret is null");
        }

        @Override
        public String read() {
            return new String(password);
        }

        @Override
        public String description() {
            return "the %s typed at the prompt".formatted(secret);
        }

        @Override
        public String toString() {
            return "Typed[****]";
        }
    }
}
