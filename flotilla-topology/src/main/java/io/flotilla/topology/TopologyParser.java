package io.flotilla.topology;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a TiUP-compatible topology file into a {@link Topology}. A file with problems is refused
 * with a {@link TopologyException} that lists every one of them with its {@code file:line:column},
 * never only the first.
 */
public final class TopologyParser {
    private TopologyParser() {}

    /** The most a topology file may hold: a cluster of thousands of instances takes a few hundred KB. */
    public static final int MAX_FILE_BYTES = 4 << 20;

    public static Topology parse(Path file) {
        return parse(read(file), file.toString());
    }

    /**
     * A topology file's text, refused with one problem at the file when it is no regular file (or
     * pipe), cannot be read, is larger than {@link #MAX_FILE_BYTES}, or is not UTF-8 text (a NUL byte or a
     * malformed sequence, placed at its line and column).
     */
    public static String read(Path file) {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw refused(file, 1, 1, "is a folder; give the topology file in it");
            }
            if (Files.exists(file) && !Files.isRegularFile(file) && !isPipe(file)) {
                throw refused(file, 1, 1, "is not a regular file; give a topology file");
            }
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw refused(
                        file,
                        1,
                        1,
                        "is %d bytes, more than the %d a topology may have; is it the right file?"
                                .formatted(size, MAX_FILE_BYTES));
            }
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            }
        } catch (NoSuchFileException e) {
            throw refused(file, 1, 1, "does not exist");
        } catch (AccessDeniedException e) {
            throw refused(file, 1, 1, "cannot be read: permission denied");
        } catch (IOException e) {
            throw refused(file, 1, 1, "cannot be read: " + e.getMessage());
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw refused(
                    file, 1, 1, "grew past the %d bytes a topology may have while read".formatted(MAX_FILE_BYTES));
        }
        return text(file, bytes);
    }

    /** A named pipe, such as the {@code /dev/fd/63} of a shell's {@code <(generate-topology)}: read up to the limit. */
    private static boolean isPipe(Path file) throws IOException {
        return Files.getAttribute(file, "unix:mode") instanceof Integer mode && (mode & 0170000) == 0010000;
    }

    private static String text(Path file, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            throw notText(file, bytes, in.position(), "holds bytes that are not UTF-8 text");
        }
        decoder.flush(out);
        String text = out.flip().toString();
        int nul = text.indexOf('\0');
        if (nul >= 0) {
            byte[] prefix = text.substring(0, nul).getBytes(StandardCharsets.UTF_8);
            throw notText(file, bytes, prefix.length, "holds a NUL byte, so it is no text file");
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** A problem at the line and column of byte {@code offset}, columns counted in characters. */
    private static TopologyException notText(Path file, byte[] bytes, int offset, String what) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        String before = new String(bytes, lineStart, offset - lineStart, StandardCharsets.UTF_8);
        return refused(
                file,
                line,
                before.codePointCount(0, before.length()) + 1,
                what + "; is it the right file? (save it as UTF-8)");
    }

    private static TopologyException refused(Path file, int line, int column, String what) {
        return new TopologyException(
                List.of(new Problem(new SourcePosition(file.toString(), line, column), "the file " + what, List.of())));
    }

    /** @param fileName how positions name the file in problems, such as {@code topology.yaml} */
    public static Topology parse(String yaml, String fileName) {
        return new TopologyReader(fileName).read(yaml);
    }

    /**
     * A cluster's stored topology, which an earlier Flotilla accepted: refused for what makes it
     * unreadable, but a value that only a rule added since refuses (a host name with '_', a system
     * folder, a control character, a server_id out of range or taken twice) is kept in {@link
     * Topology#admissionProblems()}, so that the cluster can still be displayed, stopped and destroyed.
     */
    public static Topology parseStored(String yaml, String fileName) {
        return new TopologyReader(fileName, false, 1).read(yaml);
    }
}
