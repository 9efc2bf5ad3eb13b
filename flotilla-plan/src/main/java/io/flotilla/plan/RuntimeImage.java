package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The agent's own Java runtime: a {@code jlink} image of just the modules the agent uses (found by
 * {@code jdeps}), packed as one tarball so that a host needs no Java and a deploy moves one file.
 *
 * <p>Built lazily on the control machine, once per JDK and module set, and cached under a content
 * hash ({@code <cache>/agent-runtime/<key>.tar.gz} with its sha256 beside it): a build of Flotilla
 * does not pay for it, a fresh clone gets it on its first deploy, and every later deploy reuses it.
 */
public record RuntimeImage(Path tarball, String sha256, List<String> modules) {
    /**
     * What jlink leaves out, and the class data sharing archive it adds: the agent maps its classes
     * from the archive instead of parsing them, 7 MB less resident memory (66 MB against 73 MB idle).
     * The modules are left uncompressed: the tarball is gzipped anyway, and smaller so (27 MB against
     * 33 MB compressed twice).
     */
    static final List<String> JLINK_OPTIONS =
            List.of("--strip-debug", "--no-header-files", "--no-man-pages", "--generate-cds-archive");

    /**
     * Modules jdeps reports that the agent never loads: Jackson reads the {@code java.beans}
     * annotations only when java.desktop is present ({@code requires static}), and the agent uses
     * none of them. java.desktop alone is 18 MB of the image.
     */
    static final Set<String> OPTIONAL_MODULES = Set.of("java.desktop");

    /**
     * The archive jlink writes for heaps over 32 GB (no compressed object pointers): the agent runs
     * with a 48 MB heap and maps {@code classes.jsa} only, so this one would be 14 MB moved for nothing.
     */
    private static final String UNUSED_CDS_ARCHIVE = "lib/server/classes_nocoops.jsa";

    private static final long TOOL_TIMEOUT_SECONDS = 300;
    private static final Map<Path, RuntimeImage> BUILT = new ConcurrentHashMap<>();

    public RuntimeImage {
        requireNonNull(tarball, "tarball is null");
        requireNonNull(sha256, "sha256 is null");
        modules = List.copyOf(modules);
    }

    /**
     * The image for the agent on {@code classpath}, built by this JVM's {@code jdeps} and {@code jlink}
     * when the cache does not hold it yet. Concurrent callers in one process share one build; two
     * processes may both build, and the last atomic rename wins with an identical image.
     */
    public static RuntimeImage cached(Path cache, List<Path> classpath) {
        return BUILT.computeIfAbsent(cache.toAbsolutePath().normalize(), dir -> build(dir, classpath));
    }

    private static RuntimeImage build(Path cache, List<Path> classpath) {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path dir = cache.resolve("agent-runtime");
        List<String> modules = cachedModules(dir, javaHome, classpath);
        String key = key(javaHome, modules);
        Path tarball = dir.resolve(key + ".tar.gz");
        Path checksum = dir.resolve(key + ".tar.gz.sha256");
        try {
            if (Files.isRegularFile(tarball) && Files.isRegularFile(checksum)) {
                return new RuntimeImage(tarball, Files.readString(checksum).strip(), modules);
            }
            Files.createDirectories(dir);
            Path work = Files.createTempDirectory(dir, key + ".tmp");
            try {
                Path image = work.resolve("image");
                List<String> jlink = new ArrayList<>(List.of(
                        tool(javaHome, "jlink").toString(),
                        "--add-modules",
                        String.join(",", modules),
                        "--output",
                        image.toString()));
                jlink.addAll(JLINK_OPTIONS);
                run(jlink);
                Files.deleteIfExists(image.resolve(UNUSED_CDS_ARCHIVE));
                Path packed = work.resolve("image.tar.gz");
                run(List.of("tar", "-czf", packed.toString(), "-C", image.toString(), "."));
                String sha256 = sha256(packed);
                Files.move(packed, tarball, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Path checksumTemp = work.resolve("sha256");
                Files.writeString(checksumTemp, sha256 + "\n");
                // The checksum is written last: its presence says the tarball beside it is whole.
                Files.move(checksumTemp, checksum, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return new RuntimeImage(tarball, sha256, modules);
            } finally {
                deleteTree(work);
            }
        } catch (IOException e) {
            throw cacheNotWritable("cannot build the agent's Java runtime under " + dir, e);
        }
    }

    /**
     * jdeps takes seconds of CPU, so its answer is kept per class path content: a deploy with the same
     * agent jars reads one small file, and a rebuilt agent with the same modules reuses the image.
     */
    private static List<String> cachedModules(Path dir, Path javaHome, List<Path> classpath) {
        Path file = dir.resolve("modules-" + classpathKey(classpath) + ".txt");
        try {
            if (Files.isRegularFile(file)) {
                return Arrays.stream(Files.readString(file).strip().split(","))
                        .filter(module -> !OPTIONAL_MODULES.contains(module))
                        .toList();
            }
            List<String> modules = modules(javaHome, classpath);
            Files.createDirectories(dir);
            Path temporary = Files.createTempFile(dir, "modules", ".tmp");
            Files.writeString(temporary, String.join(",", modules) + "\n");
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return modules;
        } catch (IOException e) {
            throw cacheNotWritable("cannot keep the agent's module list in " + dir, e);
        }
    }

    /** What failed in the cache folder, why, and the two ways out. */
    private static OperationException cacheNotWritable(String failure, IOException e) {
        return new OperationException(
                ErrorCode.AGENT_RUNTIME,
                "%s: %s; check that the folder is writable, or set FLOTILLA_CACHE to one that is"
                        .formatted(failure, e.getMessage()),
                e);
    }

    /** A hash of every class path entry's bytes (a class directory's files, in order), with the JDK's version. */
    private static String classpathKey(List<Path> classpath) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(System.getProperty("java.vm.version").getBytes(StandardCharsets.UTF_8));
            for (Path entry : classpath) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(entry)) {
                    files = walk.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path file : files) {
                    digest.update(entry.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
                    digest.update(Files.readAllBytes(file));
                }
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new OperationException(
                    ErrorCode.AGENT_RUNTIME,
                    "cannot read the agent's class path %s: %s".formatted(classpath, e.getMessage()),
                    e);
        }
    }

    /** The JDK modules the agent's class path uses, as jdeps prints them. */
    static List<String> modules(Path javaHome, List<Path> classpath) {
        List<String> command = new ArrayList<>(List.of(
                tool(javaHome, "jdeps").toString(),
                "--multi-release",
                String.valueOf(Runtime.version().feature()),
                "--ignore-missing-deps",
                "--print-module-deps"));
        classpath.forEach(entry -> command.add(entry.toString()));
        String output = run(command).strip();
        List<String> modules = Arrays.stream(output.split(","))
                .map(String::strip)
                .filter(module -> !module.isEmpty())
                .filter(module -> !OPTIONAL_MODULES.contains(module))
                .sorted()
                .toList();
        if (modules.isEmpty() || !modules.contains("java.base")) {
            throw new OperationException(
                    ErrorCode.AGENT_RUNTIME,
                    "jdeps found no modules for the agent's class path %s: %s".formatted(classpath, output));
        }
        return modules;
    }

    /** Same JDK build, same modules, same options: same image. */
    private static String key(Path javaHome, List<String> modules) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            Path release = javaHome.resolve("release");
            if (Files.isRegularFile(release)) {
                digest.update(Files.readAllBytes(release));
            }
            digest.update(String.join(
                            "\n",
                            System.getProperty("java.vm.version"),
                            String.join(",", modules),
                            String.join(" ", JLINK_OPTIONS),
                            UNUSED_CDS_ARCHIVE)
                    .getBytes(StandardCharsets.UTF_8));
            return "jre-" + Runtime.version().feature() + "-"
                    + HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new OperationException(ErrorCode.AGENT_RUNTIME, "cannot identify this JDK: " + e.getMessage(), e);
        }
    }

    private static Path tool(Path javaHome, String name) {
        Path tool = javaHome.resolve("bin").resolve(name);
        if (!Files.isExecutable(tool)) {
            throw new OperationException(
                    ErrorCode.AGENT_RUNTIME,
                    "%s is missing: Flotilla builds the agent's Java runtime with the jdeps and jlink of the JDK it runs on (%s); run Flotilla with a full JDK 21 or newer (FLOTILLA_JAVA)"
                            .formatted(tool, javaHome));
        }
        return tool;
    }

    private static String run(List<String> command) {
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new OperationException(
                        ErrorCode.AGENT_RUNTIME,
                        "%s took longer than %d s".formatted(command.getFirst(), TOOL_TIMEOUT_SECONDS));
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new OperationException(
                        ErrorCode.AGENT_RUNTIME,
                        "building the agent's Java runtime failed: `%s` exited with %d: %s"
                                .formatted(String.join(" ", command), process.exitValue(), text.strip()));
            }
            return text;
        } catch (IOException e) {
            throw new OperationException(
                    ErrorCode.AGENT_RUNTIME, "cannot run %s: %s".formatted(command.getFirst(), e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationException(
                    ErrorCode.INTERRUPTED, "interrupted while building the agent's Java runtime", e);
        }
    }

    static String sha256(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path each : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(each);
            }
        }
    }
}
