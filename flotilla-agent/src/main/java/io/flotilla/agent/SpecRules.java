package io.flotilla.agent;

import io.flotilla.agent.api.AgentException;
import io.flotilla.agent.api.AgentException.Code;
import io.flotilla.agent.api.InstanceSpec;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** What the supervisor accepts of a spec beyond its record's own checks: an id that is safe as a file name, bounds. */
final class SpecRules {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.:\\[\\]-]{1,200}");
    private static final int MAX_STOP_TIMEOUT_SECONDS = 600;

    private SpecRules() {}

    static void check(InstanceSpec spec) {
        if (!ID.matcher(spec.id()).matches()
                || spec.id().equals(".")
                || spec.id().equals("..")) {
            throw new AgentException(
                    Code.BAD_SPEC,
                    "instance id \"%s\" must be 1 to 200 letters, digits or . _ - : [ ]".formatted(spec.id()));
        }
        if (spec.stopTimeoutSeconds() < 0 || spec.stopTimeoutSeconds() > MAX_STOP_TIMEOUT_SECONDS) {
            throw new AgentException(
                    Code.BAD_SPEC,
                    "instance %s: stopTimeoutSeconds %d is outside 0..%d"
                            .formatted(spec.id(), spec.stopTimeoutSeconds(), MAX_STOP_TIMEOUT_SECONDS));
        }
        if (!Path.of(spec.workDir()).isAbsolute()) {
            throw new AgentException(
                    Code.BAD_SPEC,
                    "instance %s: workDir %s is not an absolute path".formatted(spec.id(), spec.workDir()));
        }
    }
}
