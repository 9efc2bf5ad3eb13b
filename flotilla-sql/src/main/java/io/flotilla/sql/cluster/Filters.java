package io.flotilla.sql.cluster;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.calcite.DataContext;
import org.apache.calcite.jdbc.JavaTypeFactoryImpl;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexExecutable;
import org.apache.calcite.rex.RexExecutorImpl;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.util.NlsString;

/**
 * What a scan's filters say about single columns, read so that only the agents that can answer are
 * asked: the values a column may take ({@code TYPE = 'mariadb'}, {@code INSTANCE IN (...)}, an
 * {@code OR} of equalities), the bounds of a time column, a pattern on a message. Calcite still
 * evaluates every filter on the rows that come back, so reading a filter here only narrows whom
 * to ask, never what is returned.
 */
final class Filters {
    private static final RexBuilder REX = new RexBuilder(new JavaTypeFactoryImpl());

    private final List<RexNode> conjuncts;
    private final DataContext root;

    Filters(List<RexNode> filters, DataContext root) {
        this.conjuncts = new ArrayList<>();
        filters.forEach(filter -> conjuncts.addAll(RelOptUtil.conjunctions(filter)));
        this.root = root;
    }

    /**
     * The values column {@code column} may have, lower-cased, when some conjunct limits it to a set;
     * empty when nothing does. Two conjuncts give their intersection, which may be empty: then no row
     * can match.
     */
    Optional<Set<String>> values(int column) {
        Set<String> allowed = null;
        for (RexNode conjunct : conjuncts) {
            Optional<Set<String>> values = equalities(RexUtil.expandSearch(REX, null, conjunct), column);
            if (values.isPresent()) {
                if (allowed == null) {
                    allowed = new LinkedHashSet<>(values.get());
                } else {
                    allowed.retainAll(values.get());
                }
            }
        }
        return Optional.ofNullable(allowed);
    }

    private static Optional<Set<String>> equalities(RexNode node, int column) {
        if (node.getKind() == SqlKind.OR) {
            Set<String> values = new LinkedHashSet<>();
            for (RexNode operand : ((RexCall) node).getOperands()) {
                Optional<Set<String>> each = equalities(operand, column);
                if (each.isEmpty()) {
                    return Optional.empty();
                }
                values.addAll(each.get());
            }
            return Optional.of(values);
        }
        if (node.getKind() == SqlKind.EQUALS) {
            List<RexNode> operands = ((RexCall) node).getOperands();
            for (int side = 0; side < 2; side++) {
                if (isColumn(operands.get(side), column)) {
                    return string(operands.get(1 - side)).map(value -> Set.of(value.toLowerCase(Locale.ROOT)));
                }
            }
        }
        return Optional.empty();
    }

    /** The lower and upper bounds (inclusive, as Calcite's TIMESTAMP millis) a conjunct sets on a column. */
    Range range(int column) {
        Long low = null;
        Long high = null;
        for (RexNode conjunct : conjuncts) {
            for (RexNode node : RelOptUtil.conjunctions(RexUtil.expandSearch(REX, null, conjunct))) {
                if (!(node instanceof RexCall call) || call.getOperands().size() != 2) {
                    continue;
                }
                RexNode left = call.getOperands().get(0);
                RexNode right = call.getOperands().get(1);
                SqlKind kind = call.getKind();
                if (isColumn(right, column)) {
                    RexNode swap = left;
                    left = right;
                    right = swap;
                    kind = kind.reverse();
                }
                if (!isColumn(left, column)) {
                    continue;
                }
                Optional<Long> value = millis(right);
                if (value.isEmpty()) {
                    continue;
                }
                long bound = value.get();
                switch (kind) {
                    case GREATER_THAN, GREATER_THAN_OR_EQUAL -> low = low == null ? bound : Math.max(low, bound);
                    case LESS_THAN, LESS_THAN_OR_EQUAL -> high = high == null ? bound : Math.min(high, bound);
                    case EQUALS -> {
                        low = low == null ? bound : Math.max(low, bound);
                        high = high == null ? bound : Math.min(high, bound);
                    }
                    default -> {}
                }
            }
        }
        return new Range(Optional.ofNullable(low), Optional.ofNullable(high));
    }

    /** A regular expression a column must contain, from {@code LIKE} or {@code REGEXP}/{@code RLIKE}. */
    Optional<String> pattern(int column) {
        for (RexNode conjunct : conjuncts) {
            if (!(conjunct instanceof RexCall call) || call.getOperands().size() < 2) {
                continue;
            }
            if (!isColumn(call.getOperands().get(0), column)) {
                continue;
            }
            Optional<String> value = string(call.getOperands().get(1));
            if (value.isEmpty()) {
                continue;
            }
            if (call.getKind() == SqlKind.LIKE
                    && call.getOperands().size() == 2
                    && !call.getOperator().getName().startsWith("NOT")) {
                return Optional.of(likeToRegex(value.get()));
            }
            if (call.getKind() == SqlKind.RLIKE || call.getOperator().getName().equalsIgnoreCase("REGEXP")) {
                return value;
            }
        }
        return Optional.empty();
    }

    static String likeToRegex(String like) {
        StringBuilder regex = new StringBuilder("^");
        for (int i = 0; i < like.length(); i++) {
            char c = like.charAt(i);
            if (c == '\\' && i + 1 < like.length()) {
                regex.append(Pattern.quote(String.valueOf(like.charAt(++i))));
            } else if (c == '%') {
                regex.append("(?s:.*)");
            } else if (c == '_') {
                regex.append("(?s:.)");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return regex.append('$').toString();
    }

    private static boolean isColumn(RexNode node, int column) {
        RexNode stripped = RexUtil.removeCast(node);
        return stripped instanceof RexInputRef ref && ref.getIndex() == column;
    }

    private static Optional<String> string(RexNode node) {
        RexNode stripped = RexUtil.removeCast(node);
        if (stripped instanceof RexLiteral literal) {
            Object value = literal.getValue();
            if (value instanceof NlsString nls) {
                return Optional.of(nls.getValue());
            }
            String text = literal.getValueAs(String.class);
            return Optional.ofNullable(text);
        }
        return Optional.empty();
    }

    // Any expression without column references (a literal, a CAST of one, NOW() - INTERVAL 1 HOUR),
    // evaluated as Calcite would for this statement.
    private Optional<Long> millis(RexNode node) {
        if (RexUtil.containsInputRef(node)) {
            return Optional.empty();
        }
        try {
            RexNode asTimestamp = node.getType().getSqlTypeName() == SqlTypeName.TIMESTAMP
                    ? node
                    : REX.makeCast(REX.getTypeFactory().createSqlType(SqlTypeName.TIMESTAMP, 3), node);
            RexExecutable executable = RexExecutorImpl.getExecutable(
                    REX, List.of(asTimestamp), REX.getTypeFactory().builder().build());
            executable.setDataContext(root);
            Object[] values = executable.execute();
            if (values != null && values.length == 1 && values[0] instanceof Number number) {
                return Optional.of(number.longValue());
            }
        } catch (RuntimeException ignored) {
            // Not a time this scan can read: Calcite still applies the filter to the rows.
        }
        return Optional.empty();
    }

    record Range(Optional<Long> low, Optional<Long> high) {}
}
