package io.flotilla.plan;

import static java.util.Objects.requireNonNull;

/**
 * One row of {@code flotilla cluster check}: a rule on one host, its verdict and why.
 *
 * @param check the rule's stable name ({@code port 2379}, {@code sysctl net.core.somaxconn})
 * @param fixed what {@code --apply} changed for this row, empty when it changed nothing
 */
public record CheckResult(String host, String check, Verdict verdict, String detail, String fixed) {
    public CheckResult {
        requireNonNull(host, "host is null");
        requireNonNull(check, "check is null");
        requireNonNull(verdict, "verdict is null");
        requireNonNull(detail, "detail is null");
        requireNonNull(fixed, "fixed is null");
    }

    static CheckResult pass(String host, String check, String detail) {
        return new CheckResult(host, check, Verdict.PASS, detail, "");
    }

    static CheckResult warn(String host, String check, String detail) {
        return new CheckResult(host, check, Verdict.WARN, detail, "");
    }

    static CheckResult fail(String host, String check, String detail) {
        return new CheckResult(host, check, Verdict.FAIL, detail, "");
    }

    /** Pass: nothing to do. Warn: works, but not as recommended. Fail: a deploy or start would break. */
    public enum Verdict {
        PASS("Pass"),
        WARN("Warn"),
        FAIL("Fail");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
