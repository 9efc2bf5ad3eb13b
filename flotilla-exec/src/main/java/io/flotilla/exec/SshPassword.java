package io.flotilla.exec;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Where a login password comes from: a file read when a session needs it, or what was typed at a prompt. */
public sealed interface SshPassword {
    /** The password itself; only a session authenticating calls this. */
    String read();

    /** What an error message says about it, never the password. */
    String description();

    static SshPassword ofFile(Path file) {
        return new FromFile(file);
    }

    static SshPassword typed(char[] password) {
        return new Typed(password);
    }

    record FromFile(Path file) implements SshPassword {
        public FromFile {
            requireNonNull(file, "file is null");
        }

        @Override
        public String read() {
            try {
                String content = Files.readString(file, StandardCharsets.UTF_8);
                return content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
            } catch (IOException e) {
                throw new ExecException(
                        "localhost", "cannot read the password file %s: %s".formatted(file, e.getMessage()), e);
            }
        }

        @Override
        public String description() {
            return "the password in " + file;
        }
    }

    /** A password typed at the terminal; it lives in this process's memory only. */
    final class Typed implements SshPassword {
        private final char[] password;

        private Typed(char[] password) {
            this.password = Arrays.copyOf(requireNonNull(password, "password is null"), password.length);
        }

        @Override
        public String read() {
            return new String(password);
        }

        @Override
        public String description() {
            return "the password typed at the prompt";
        }

        @Override
        public String toString() {
            return "Typed[****]";
        }
    }
}
