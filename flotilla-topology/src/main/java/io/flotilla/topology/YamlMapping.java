package io.flotilla.topology;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * One YAML mapping of a topology file, read leniently: a duplicate or unknown key and a value of
 * the wrong type become problems with their position, and reading goes on. A null value (an
 * empty {@code key:}) and a blank string count as not set, as they do for TiUP.
 */
final class YamlMapping {
    private static final Pattern DECIMAL = Pattern.compile("[-+]?[0-9]+");
    private static final Set<String> TRUE = Set.of("true", "yes", "on");
    private static final Set<String> FALSE = Set.of("false", "no", "off");

    private final MappingNode node;
    private final String path;
    private final boolean root;
    private final Problems problems;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    private List<String> instances = List.of();

    private YamlMapping(MappingNode node, String path, boolean root, Problems problems) {
        this.node = node;
        this.path = path;
        this.root = root;
        this.problems = problems;
        for (NodeTuple tuple : node.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                problems.add(
                        problems.at(tuple.getKeyNode()),
                        "expected a plain key in %s, got %s".formatted(path, describe(tuple.getKeyNode())));
                continue;
            }
            NodeTuple first = entries.putIfAbsent(key.getValue(), tuple);
            if (first != null) {
                problems.add(
                        problems.at(key),
                        "duplicate key '%s' in %s; it is first set at line %d, keep one of them"
                                .formatted(
                                        key.getValue(),
                                        path,
                                        problems.at(first.getKeyNode()).line()));
            }
        }
    }

    /** The whole document, which must be a mapping. */
    static Optional<YamlMapping> root(Node node, Problems problems) {
        return of(node, "the topology", true, problems);
    }

    /** A mapping with no key, standing in for a section the file leaves out. */
    static YamlMapping empty(String path, Problems problems) {
        return new YamlMapping(new MappingNode(Tag.MAP, new ArrayList<>(), FlowStyle.AUTO), path, false, problems);
    }

    /** A mapping found at {@code path}, such as a list item {@code pd_servers[0]}. */
    static Optional<YamlMapping> of(Node node, String path, Problems problems) {
        return of(node, path, false, problems);
    }

    private static Optional<YamlMapping> of(Node node, String path, boolean root, Problems problems) {
        if (node instanceof MappingNode mapping) {
            return Optional.of(new YamlMapping(mapping, path, root, problems));
        }
        problems.add(problems.at(node), "expected a map for %s, got %s".formatted(path, describe(node)));
        return Optional.empty();
    }

    String path() {
        return path;
    }

    /** Names the instances this mapping declares, so that the problems found from now on carry their ids. */
    void concerns(List<String> ids) {
        instances = List.copyOf(ids);
    }

    SourcePosition position() {
        return problems.at(node);
    }

    /** Keys in file order. */
    Set<String> keys() {
        return entries.keySet();
    }

    SourcePosition keyPosition(String key) {
        return entries.containsKey(key) ? problems.at(entries.get(key).getKeyNode()) : position();
    }

    SourcePosition valuePosition(String key) {
        return entries.containsKey(key) ? problems.at(entries.get(key).getValueNode()) : position();
    }

    /** Reports every key not in {@code known}, suggesting the known key it was probably meant to be. */
    void allowOnly(Collection<String> known) {
        for (NodeTuple tuple : entries.values()) {
            String key = ((ScalarNode) tuple.getKeyNode()).getValue();
            if (known.contains(key)) {
                continue;
            }
            String advice = DidYouMean.closest(key, known)
                    .map(suggestion -> "did you mean '%s'?".formatted(suggestion))
                    .orElseGet(() -> "expected one of: "
                            + String.join(", ", known.stream().sorted().toList()));
            problems.add(
                    problems.at(tuple.getKeyNode()),
                    "unknown key '%s' in %s; %s".formatted(key, path, advice),
                    instances);
        }
    }

    Optional<String> string(String key) {
        return value(key).flatMap(value -> {
            if (value instanceof ScalarNode scalar) {
                return Optional.of(scalar.getValue().strip()).filter(text -> !text.isEmpty());
            }
            return wrongType(key, "a string", value);
        });
    }

    /** A whole number; a quoted one ({@code "4000"}) is accepted too. */
    Optional<Long> integer(String key) {
        return value(key).flatMap(value -> {
            if (value instanceof ScalarNode scalar
                    && (scalar.getTag().equals(Tag.INT)
                            || DECIMAL.matcher(scalar.getValue()).matches())) {
                Object number = parseInteger(scalar.getValue());
                if (number instanceof Long whole) {
                    return Optional.of(whole);
                }
            }
            return wrongType(key, "a number", value);
        });
    }

    /** {@code true} or {@code false}; YAML 1.1's {@code yes}, {@code no}, {@code on}, {@code off} as TiUP's decoder takes them. */
    Optional<Boolean> bool(String key) {
        return value(key).flatMap(value -> {
            if (value instanceof ScalarNode scalar) {
                String text = scalar.getValue().toLowerCase(Locale.ROOT);
                if (TRUE.contains(text)) {
                    return Optional.of(true);
                }
                if (FALSE.contains(text)) {
                    return Optional.of(false);
                }
            }
            return wrongType(key, "true or false", value);
        });
    }

    Optional<YamlMapping> mapping(String key) {
        return value(key).flatMap(value -> {
            if (value instanceof MappingNode mapping) {
                YamlMapping child = new YamlMapping(mapping, root ? key : path + "." + key, false, problems);
                child.concerns(instances);
                return Optional.of(child);
            }
            return wrongType(key, "a map", value);
        });
    }

    /** The items of a list; none when the key is absent or empty. */
    List<Node> sequence(String key) {
        return value(key)
                .flatMap(value -> {
                    if (value instanceof SequenceNode sequence) {
                        return Optional.of(sequence.getValue());
                    }
                    return this.<List<Node>>wrongType(key, "a list", value);
                })
                .orElse(List.of());
    }

    /** The value as plain Java: String, Long, Double, Boolean, List or Map. */
    Optional<Object> plain(String key) {
        return value(key).map(YamlMapping::plain);
    }

    /** The whole mapping as plain Java, in file order. */
    Map<String, Object> plain() {
        Map<String, Object> map = new LinkedHashMap<>();
        entries.forEach((key, tuple) -> map.put(key, plain(tuple.getValueNode())));
        return map;
    }

    private Optional<Node> value(String key) {
        NodeTuple tuple = entries.get(key);
        if (tuple == null || isNull(tuple.getValueNode())) {
            return Optional.empty();
        }
        return Optional.of(tuple.getValueNode());
    }

    private <T> Optional<T> wrongType(String key, String expected, Node value) {
        problems.add(
                problems.at(value), "expected %s for %s, got %s".formatted(expected, key, describe(value)), instances);
        return Optional.empty();
    }

    static Object plain(Node node) {
        if (node instanceof ScalarNode scalar) {
            return plainScalar(scalar);
        }
        if (node instanceof SequenceNode sequence) {
            List<Object> list = new ArrayList<>();
            sequence.getValue().forEach(item -> list.add(plain(item)));
            return list;
        }
        if (node instanceof MappingNode mapping) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                map.put(String.valueOf(plain(tuple.getKeyNode())), plain(tuple.getValueNode()));
            }
            return map;
        }
        throw new IllegalArgumentException("unexpected YAML node " + node.getNodeType());
    }

    /** How a value appears in a message: a scalar quoted as written, a collection by its kind. */
    static String describe(Node node) {
        if (node instanceof ScalarNode scalar) {
            return "'%s'".formatted(scalar.getValue());
        }
        return node instanceof SequenceNode ? "a list" : "a map";
    }

    private static boolean isNull(Node node) {
        return node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.NULL);
    }

    private static Object plainScalar(ScalarNode scalar) {
        Tag tag = scalar.getTag();
        String text = scalar.getValue();
        if (tag.equals(Tag.NULL)) {
            return null;
        }
        if (tag.equals(Tag.BOOL)) {
            return Boolean.valueOf(text.toLowerCase(Locale.ROOT));
        }
        if (tag.equals(Tag.INT)) {
            return parseInteger(text);
        }
        if (tag.equals(Tag.FLOAT)) {
            return parseFloat(text);
        }
        return text;
    }

    /** YAML 1.2 core integers: decimal, {@code 0o} octal, {@code 0x} hex; a Long when it fits. */
    private static Object parseInteger(String text) {
        String digits = text;
        boolean negative = false;
        if (digits.startsWith("-") || digits.startsWith("+")) {
            negative = digits.startsWith("-");
            digits = digits.substring(1);
        }
        int radix = 10;
        if (digits.startsWith("0x")) {
            radix = 16;
            digits = digits.substring(2);
        } else if (digits.startsWith("0o")) {
            radix = 8;
            digits = digits.substring(2);
        }
        try {
            BigInteger value = new BigInteger(digits, radix);
            value = negative ? value.negate() : value;
            return value.bitLength() < 64 ? (Object) value.longValue() : value;
        } catch (NumberFormatException ignored) {
            return text;
        }
    }

    private static Object parseFloat(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case ".inf", "+.inf" -> Double.POSITIVE_INFINITY;
            case "-.inf" -> Double.NEGATIVE_INFINITY;
            case ".nan" -> Double.NaN;
            default -> Double.valueOf(text);
        };
    }
}
