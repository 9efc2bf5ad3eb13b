package io.flotilla.plan;

import io.flotilla.agent.AgentClient;
import io.flotilla.agent.InstanceStatus;
import io.flotilla.agent.Probe;
import io.flotilla.agent.ProbeResult;
import io.flotilla.topology.Instance;
import java.time.Duration;
import java.util.List;

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
        long deadline = System.nanoTime() + timeout.toNanos();
        ProbeResult last = ProbeResult.notReady("not probed yet");
        while (true) {
            last = agent.probe(probe);
            if (last.ready()) {
                return;
            }
            InstanceStatus status = agent.status(instance.id());
            boolean exited = status.state() == InstanceStatus.State.FAILED
                    || (status.state() == InstanceStatus.State.BACKOFF && status.restarts() >= 1);
            if (exited) {
                throw notReady(agent, instance, "its process exited (%s)".formatted(status.lastExit()), last);
            }
            if (status.state() == InstanceStatus.State.STOPPED) {
                throw notReady(agent, instance, "it is not running", last);
            }
            if (System.nanoTime() > deadline) {
                throw notReady(agent, instance, "it %s within %d s".formatted(what, timeout.toSeconds()), last);
            }
            Thread.sleep(POLL);
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
        return new OperationException("NOT_READY", message.toString());
    }
}
