package io.flotilla.topology;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * The {@code global} section with TiUP's defaults filled in. The directories are kept as written,
 * relative or absolute, because each instance's directories are derived from them by TiUP's rules.
 */
public record GlobalOptions(
        String user,
        String group,
        int sshPort,
        String deployDir,
        String dataDir,
        String logDir,
        String listenHost,
        boolean enableTls,
        String arch,
        String os,
        String systemdMode,
        Map<String, Object> resourceControl,
        String mirror) {
    public GlobalOptions {
        requireNonNull(user, "user is null");
        requireNonNull(group, "group is null");
        requireNonNull(deployDir, "deployDir is null");
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(logDir, "logDir is null");
        requireNonNull(listenHost, "listenHost is null");
        requireNonNull(arch, "arch is null");
        requireNonNull(os, "os is null");
        requireNonNull(systemdMode, "systemdMode is null");
        resourceControl = Map.copyOf(resourceControl);
        requireNonNull(mirror, "mirror is null");
    }
}
