package io.flotilla.engine;

import io.flotilla.step.Plan;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Runs one plan on one cluster the way every operation runs: under the cluster's lock, journaled
 * (resuming an unfinished run of the same plan), and audited.
 */
public final class Operation {
    private static final DateTimeFormatter ID_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Operation() {}

    /** A sortable id for an operation: its UTC start time and a random suffix. */
    public static String newId() {
        return ID_TIME.format(Instant.now()) + "-" + Integer.toString(RANDOM.nextInt(36 * 36 * 36 * 36), 36);
    }

    /** Runs the plan while the caller holds the cluster's lock; returns the journal it used. */
    public static Journal run(
            FlotillaHome home, ClusterStore store, Plan plan, String command, Engine engine, ResumeListener resumed) {
        String id = newId();
        Journal journal = Journal.open(store.journalDir(), id, plan.operation().label(), plan.fingerprint(), command);
        if (journal.resumed()) {
            resumed.resuming(
                    journal.operationId(),
                    journal.resumedSteps(),
                    plan.actions().size());
        }
        AuditLog audit = home.audit();
        audit.begin(id, store.name(), command, Instant.now().toString());
        try {
            engine.run(plan, journal);
            journal.end(true, null);
            audit.end(id, Instant.now().toString(), true, null, journal.file());
            return journal;
        } catch (RuntimeException e) {
            journal.end(false, e.getMessage());
            audit.end(id, Instant.now().toString(), false, e.getMessage(), journal.file());
            throw e;
        } finally {
            journal.close();
        }
    }

    /** Hears that an earlier, unfinished run of the same plan is being finished. */
    @FunctionalInterface
    public interface ResumeListener {
        void resuming(String operationId, int stepsDone, int steps);
    }
}
