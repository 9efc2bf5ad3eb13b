package io.flotilla.agent;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the value of a variable the server cannot change while it runs, before it goes into the
 * option file: there the server reads it only at its next start, where a value it refuses keeps it
 * from starting and a number out of range runs as the nearest bound, not as written. The rules are
 * the server's own, as {@code information_schema.SYSTEM_VARIABLES} describes each variable (its
 * type, range and allowed words), and its option parser reads words as {@code my_getopt} does: any
 * case, a unique prefix, or an ENUM's index.
 */
final class StaticValues {
    /** A whole number as option files write it, with an optional K, M, G, T, P or E multiplier. */
    private static final Pattern WHOLE = Pattern.compile("(-?\\d{1,20})([KMGTPE]?)", Pattern.CASE_INSENSITIVE);

    private static final List<String> BOOLEANS = List.of("ON", "OFF", "TRUE", "FALSE", "1", "0");

    private StaticValues() {}

    /**
     * Why the server would refuse {@code value} at its next start; empty when it takes it.
     *
     * @param type {@code VARIABLE_TYPE}: {@code BIGINT UNSIGNED}, {@code INT}, {@code DOUBLE},
     *     {@code BOOLEAN}, {@code ENUM}, {@code SET}, {@code FLAGSET}, {@code VARCHAR}, ...
     * @param min {@code NUMERIC_MIN_VALUE}, null for other types
     * @param max {@code NUMERIC_MAX_VALUE}, null for other types
     * @param words {@code ENUM_VALUE_LIST}, comma separated, null for other types
     */
    static Optional<String> problem(String type, String min, String max, String words, String value) {
        String kind = type == null ? "" : type.toUpperCase(Locale.ROOT);
        if (kind.contains("INT")) {
            return whole(value, min, max);
        }
        if (kind.equals("DOUBLE")) {
            return decimal(value, min, max);
        }
        if (kind.equals("BOOLEAN")) {
            return BOOLEANS.contains(value.toUpperCase(Locale.ROOT))
                    ? Optional.empty()
                    : Optional.of("it takes ON or OFF");
        }
        List<String> allowed = words == null ? List.of() : Arrays.asList(words.split(","));
        return switch (kind) {
            case "ENUM" -> index(value, allowed.size()) ? Optional.empty() : oneOf(value, allowed);
            case "SET" ->
                value.isEmpty() || bitmask(value, allowed.size())
                        ? Optional.empty()
                        : Arrays.stream(value.split(","))
                                .map(item -> oneOf(item.strip(), allowed))
                                .flatMap(Optional::stream)
                                .findFirst();
            case "FLAGSET" -> flags(value, allowed);
            default -> Optional.empty();
        };
    }

    private static Optional<String> whole(String value, String min, String max) {
        Matcher matcher = WHOLE.matcher(value);
        if (!matcher.matches()) {
            return Optional.of("it takes a whole number (with K, M or G for a size)");
        }
        String unit = matcher.group(2).toUpperCase(Locale.ROOT);
        int shift = unit.isEmpty() ? 0 : 10 * ("KMGTPE".indexOf(unit) + 1);
        BigInteger number = new BigInteger(matcher.group(1)).shiftLeft(shift);
        return range(new BigDecimal(number), min, max);
    }

    private static Optional<String> decimal(String value, String min, String max) {
        try {
            return range(new BigDecimal(value), min, max);
        } catch (NumberFormatException e) {
            return Optional.of("it takes a number");
        }
    }

    private static Optional<String> range(BigDecimal number, String min, String max) {
        boolean below = min != null && number.compareTo(new BigDecimal(min)) < 0;
        boolean above = max != null && number.compareTo(new BigDecimal(max)) > 0;
        if (below || above) {
            return Optional.of("it takes %s to %s (the server would run it as %s)"
                    .formatted(plain(min), plain(max), plain(below ? min : max)));
        }
        return Optional.empty();
    }

    /** An ENUM's value given by its place in the list, from 0. */
    private static boolean index(String value, int size) {
        return value.matches("\\d{1,9}") && Integer.parseInt(value) < size;
    }

    /** A SET's value given as the number whose bits are its members. */
    private static boolean bitmask(String value, int size) {
        return value.matches("\\d{1,20}") && new BigInteger(value).bitLength() <= size;
    }

    private static String plain(String bound) {
        return bound == null ? "?" : new BigDecimal(bound).stripTrailingZeros().toPlainString();
    }

    private static Optional<String> oneOf(String value, List<String> allowed) {
        if (allowed.isEmpty() || allowed.stream().anyMatch(word -> word.equalsIgnoreCase(value))) {
            return Optional.empty();
        }
        String prefix = value.toUpperCase(Locale.ROOT);
        List<String> begun = value.isEmpty()
                ? List.of()
                : allowed.stream()
                        .filter(word -> word.toUpperCase(Locale.ROOT).startsWith(prefix))
                        .toList();
        return switch (begun.size()) {
            case 1 -> Optional.empty();
            case 0 -> Optional.of("'%s' is not one of %s".formatted(value, String.join(", ", allowed)));
            default ->
                Optional.of("'%s' could be any of %s; write it whole".formatted(value, String.join(", ", begun)));
        };
    }

    /** {@code optimizer_switch}'s form: {@code name=on|off|default}, comma separated, or {@code default}. */
    private static Optional<String> flags(String value, List<String> allowed) {
        for (String item : value.split(",")) {
            String flag = item.strip();
            if (flag.equalsIgnoreCase("default")) {
                continue;
            }
            int equals = flag.indexOf('=');
            String name = equals < 0 ? flag : flag.substring(0, equals);
            String state = equals < 0 ? "" : flag.substring(equals + 1);
            if (!List.of("on", "off", "default").contains(state.toLowerCase(Locale.ROOT))) {
                return Optional.of("'%s' is not name=on, name=off or name=default".formatted(flag));
            }
            Optional<String> unknown = oneOf(
                    name,
                    allowed.stream().filter(word -> !word.equals("default")).toList());
            if (unknown.isPresent()) {
                return unknown;
            }
        }
        return Optional.empty();
    }
}
