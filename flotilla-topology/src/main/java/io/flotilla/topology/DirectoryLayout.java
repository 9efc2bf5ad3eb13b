package io.flotilla.topology;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * TiUP's directory rules, resolved to absolute paths on the instance's host:
 *
 * <ul>
 *   <li>{@code deploy_dir} defaults to {@code <global.deploy_dir>/<role>-<main port>}; a relative
 *       one lies under {@code /home/<global.user>/};
 *   <li>{@code data_dir} and {@code log_dir} that are set and relative lie under the instance's
 *       deploy dir; unset, they come from the global ones: an absolute global dir gives
 *       {@code <global dir>/<role>-<main port>}, a relative one lies under the deploy dir;
 *   <li>a {@code data_dir} may list several directories separated by commas (TiFlash).
 * </ul>
 *
 * TiUP leaves relative directories relative and skips them when it looks for conflicts; resolving
 * them first lets every conflict be found.
 */
final class DirectoryLayout {
    private final String user;
    private final String deployDir;
    private final String dataDir;
    private final String logDir;

    DirectoryLayout(GlobalOptions global) {
        this.user = global.user();
        this.deployDir = global.deployDir();
        this.dataDir = global.dataDir();
        this.logDir = global.logDir();
    }

    String deployDir(Optional<String> own, String dirRole, int mainPort) {
        return absolute(own.orElseGet(() -> join(deployDir, dirName(dirRole, mainPort))));
    }

    String dataDir(Optional<String> own, String instanceDeployDir, String dirRole, int mainPort) {
        return own.map(dirs -> underDeployDir(dirs, instanceDeployDir))
                .orElseGet(() -> fromGlobal(dataDir, instanceDeployDir, dirRole, mainPort));
    }

    String logDir(Optional<String> own, String instanceDeployDir, String dirRole, int mainPort) {
        return own.map(dir -> underDeployDir(dir, instanceDeployDir))
                .orElseGet(() -> fromGlobal(logDir, instanceDeployDir, dirRole, mainPort));
    }

    /**
     * The exporters' directories. By TiUP's rules the defaults are
     * {@code <global.deploy_dir>/monitor-<node_exporter_port>} and
     * {@code <global.data_dir>/monitor-<node_exporter_port>}, and the log dir is {@code log}
     * under the deploy dir unless it is absolute or already starts with the deploy dir.
     */
    MonitoredOptions monitored(
            int nodeExporterPort,
            int blackboxExporterPort,
            Optional<String> ownDeployDir,
            Optional<String> ownDataDir,
            Optional<String> ownLogDir) {
        String monitorDir = dirName("monitor", nodeExporterPort);
        String deploy = ownDeployDir.orElseGet(() -> join(deployDir, monitorDir));
        String data = ownDataDir.orElseGet(() -> join(dataDir, monitorDir));
        String log = ownLogDir.orElse("log");
        if (!isAbsolute(log) && !log.startsWith(deploy)) {
            log = join(deploy, log);
        }
        String absoluteDeploy = absolute(deploy);
        return new MonitoredOptions(
                nodeExporterPort,
                blackboxExporterPort,
                absoluteDeploy,
                underDeployDir(data, absoluteDeploy),
                absolute(log));
    }

    private String fromGlobal(String global, String instanceDeployDir, String dirRole, int mainPort) {
        if (isAbsolute(global)) {
            return clean(join(global, dirName(dirRole, mainPort)));
        }
        return clean(join(instanceDeployDir, global));
    }

    /** A relative path from the topology, placed in the deploy user's home as TiUP does. */
    String absolute(String path) {
        return isAbsolute(path) ? clean(path) : clean(join(join("/home", user), path));
    }

    /** Each of the comma-separated dirs, relative ones placed under {@code deployDir}. */
    private static String underDeployDir(String dirs, String deployDir) {
        List<String> resolved = new ArrayList<>();
        for (String dir : dirs.split(",")) {
            String trimmed = dir.strip();
            if (!trimmed.isEmpty()) {
                resolved.add(isAbsolute(trimmed) ? clean(trimmed) : clean(join(deployDir, trimmed)));
            }
        }
        return String.join(",", resolved);
    }

    private static String dirName(String dirRole, int mainPort) {
        return "%s-%d".formatted(dirRole, mainPort);
    }

    static boolean isAbsolute(String path) {
        return path.startsWith("/");
    }

    static String join(String parent, String child) {
        return parent.endsWith("/") ? parent + child : parent + "/" + child;
    }

    /** Like Go's {@code filepath.Clean}: no empty, {@code .} or {@code ..} segments, no trailing slash. */
    static String clean(String path) {
        boolean absolute = isAbsolute(path);
        List<String> segments = new ArrayList<>();
        for (String segment : Arrays.asList(path.split("/"))) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (!segments.isEmpty() && !segments.getLast().equals("..")) {
                    segments.removeLast();
                } else if (!absolute) {
                    segments.add(segment);
                }
                continue;
            }
            segments.add(segment);
        }
        String joined = String.join("/", segments);
        if (absolute) {
            return "/" + joined;
        }
        return joined.isEmpty() ? "." : joined;
    }
}
