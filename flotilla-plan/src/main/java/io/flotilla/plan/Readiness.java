package io.flotilla.plan;

import io.flotilla.agent.api.AgentClient;
import io.flotilla.agent.api.InstanceStatus;
import io.flotilla.agent.api.Probe;
import io.flotilla.agent.api.ProbeResult;
import io.flotilla.step.ErrorCode;
import io.flotilla.step.OperationException;
import io.flotilla.topology.Instance;
import io.flotilla.wait.Wait;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Waits for an instance to become ready by asking its agent to run the probe, and when it does
 * not, says why: the probe's last answer, what the agent found wrong on the host, and the last
 * lines of the instance's log. A process that exits stops the wait at once instead of at the
 * timeout.
 */
final class Readiness {
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int LOG_LINES = 20;

    private Readiness() {}

    static void await(AgentClient agent, Instance instance, Probe probe, Duration timeout, String what)
            throws InterruptedException {
        AtomicReference<ProbeResult> last = new AtomicReference<>(ProbeResult.notReady("not probed yet"));
        boolean ready = Wait.until(timeout, POLL, () -> {
            last.set(agent.probe(probe));
            if (last.get().ready()) {
                return true;
            }
            InstanceStatus status = agent.status(instance.id());
            boolean exited = status.state() == InstanceStatus.State.FAILED
                    || (status.state() == InstanceStatus.State.BACKOFF && status.restarts() >= 1);
            if (exited) {
                throw notReady(agent, instance, "its process exited (%s)".formatted(status.lastExit()), last.get());
            }
            if (status.state() == InstanceStatus.State.STOPPED) {
                throw notReady(agent, instance, "it is not running", last.get());
            }
            return false;
        });
        if (!ready) {
            throw notReady(agent, instance, "it %s within %d s".formatted(what, timeout.toSeconds()), last.get());
        }
    }

    private static OperationException notReady(AgentClient agent, Instance instance, String why, ProbeResult last) {
        var report = agent.diagnosis(instance.id(), LOG_LINES);
        StringBuilder message = new StringBuilder("%s %s did not become ready: %s; last probe: %s"
                .formatted(instance.component(), instance.id(), why, last.detail()));
        for (String fact : report.facts()) {
            message.append("\n  ").append(fact);
        }
        List<String> log = report.log();
        if (!log.isEmpty()) {
            message.append("\n  last %d lines of %s:".formatted(log.size(), ClusterContext.logFile(instance)));
            log.forEach(line -> message.append("\n    ").append(line));
        }
        return new OperationException(ErrorCode.NOT_READY, message.toString());
    }
}
