package steerscope.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded mutations of parser inputs, at two levels: the bytes of a file (flips, JSON punctuation, cut and
 * copied ranges, hostile numbers) and the structure of a JSON tree (a field removed, retyped, made huge,
 * negative or deep). Only the containers on the path to the mutated node are copied, so a mutation of an
 * 11 MB tokenizer.json costs little more than writing it.
 */
final class Mutator {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String PUNCT = "{}[],:\"\\-+.eE0123456789 tfn\u0000";
    private static final String[] TOKENS = {"\"", "-1", "0", "99999999999999999999", "2147483648", "1e400", "-1e400", "NaN",
            "null", "[", "]", "{", "}", "{\"a\":", ",", "\\u0000", "\\ud800", "\u00ff", "\uFFFD", "\n", "[[[[[[[[[[", "true"};
    private static final String[] REGEX_BITS = {"(", ")", "[", "]", "\\", "*", "+", "?", "{99999}", "(?=", "(?<", "\\p{Zz}",
            "(a+)+", "|", "\\Q", "^", "$", "\\1", "(?i", "\\x{110000}", "\\k<n>"};

    private final Random rnd;

    Mutator(long seed) {
        rnd = new Random(seed);
    }

    int nextInt(int n) {
        return rnd.nextInt(n);
    }

    /** A byte-level mutation; {@code hot} bytes at the start are where the structure is, and get half the hits. */
    byte[] mutateBytes(byte[] in, int hot, StringBuilder how) {
        int n = in.length;
        int at = n == 0 ? 0 : (hot > 0 && rnd.nextBoolean() ? rnd.nextInt(Math.min(hot, n)) : rnd.nextInt(n));
        switch (rnd.nextInt(7)) {
            case 0 -> {
                byte[] out = in.clone();
                if (n > 0) out[at] ^= (byte) (1 << rnd.nextInt(8));
                how.append("bit flip at ").append(at);
                return out;
            }
            case 1 -> {
                byte[] out = in.clone();
                char c = PUNCT.charAt(rnd.nextInt(PUNCT.length()));
                if (n > 0) out[at] = (byte) c;
                how.append("byte ").append(at).append(" -> 0x").append(Integer.toHexString(c));
                return out;
            }
            case 2 -> {
                int len = Math.min(n - at, 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 256));
                how.append("delete ").append(len).append(" at ").append(at);
                return splice(in, at, len, new byte[0]);
            }
            case 3 -> {
                int len = Math.min(n - at, 1 + rnd.nextInt(64));
                int to = n == 0 ? 0 : rnd.nextInt(n);
                byte[] piece = Arrays.copyOfRange(in, at, at + len);
                how.append("copy ").append(len).append(" from ").append(at).append(" to ").append(to);
                return splice(in, to, 0, piece);
            }
            case 4 -> {
                String t = TOKENS[rnd.nextInt(TOKENS.length)];
                how.append("insert '").append(t.replace("\n", "\\n")).append("' at ").append(at);
                return splice(in, at, rnd.nextInt(3), t.getBytes(StandardCharsets.UTF_8));
            }
            case 5 -> {
                how.append("truncate at ").append(at);
                return Arrays.copyOf(in, at);
            }
            default -> { // a digit changed: numbers (ids, sizes, offsets) move
                byte[] out = in.clone();
                for (int tries = 0; tries < 1000 && n > 0; tries++) {
                    int p = (at + tries * 7919) % n;
                    if (out[p] >= '0' && out[p] <= '9') {
                        out[p] = (byte) ('0' + rnd.nextInt(10));
                        how.append("digit at ").append(p);
                        return out;
                    }
                }
                how.append("no digit");
                return out;
            }
        }
    }

    private static byte[] splice(byte[] in, int at, int remove, byte[] insert) {
        remove = Math.min(remove, in.length - at);
        byte[] out = new byte[in.length - remove + insert.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(in, at + remove, out, at + insert.length, in.length - at - remove);
        return out;
    }

    /** A structure-level mutation of a copy of {@code root} (the input is not changed). */
    JsonNode mutateJson(JsonNode root, StringBuilder how) {
        if (!root.isContainerNode() || root.isEmpty()) {
            how.append("root replaced");
            return hostileValue(root, how);
        }
        JsonNode copy = shallowCopy(root);
        JsonNode parent = copy;
        StringBuilder path = new StringBuilder();
        // walk down a random path, copying each container on it; stop with probability 1/3 at each level
        while (true) {
            int size = parent.size();
            if (size == 0) break;
            int k = rnd.nextInt(size);
            String key = parent.isObject() ? nthField(parent, k) : null;
            JsonNode child = parent.isObject() ? parent.get(key) : parent.get(k);
            if (child.isContainerNode() && !child.isEmpty() && rnd.nextInt(3) != 0) {
                JsonNode c = shallowCopy(child);
                if (parent.isObject()) ((ObjectNode) parent).set(key, c);
                else ((ArrayNode) parent).set(k, c);
                path.append(parent.isObject() ? "." + key : "[" + k + "]");
                parent = c;
                continue;
            }
            path.append(parent.isObject() ? "." + key : "[" + k + "]");
            how.append(path.length() > 120 ? path.substring(0, 120) + "..." : path).append(": ");
            int op = rnd.nextInt(10);
            if (op == 0) { // remove
                how.append("removed");
                if (parent.isObject()) ((ObjectNode) parent).remove(key);
                else ((ArrayNode) parent).remove(k);
            } else if (op == 1 && parent.isArray()) { // duplicate an element
                how.append("duplicated");
                ((ArrayNode) parent).insert(k, child.deepCopy());
            } else if (op == 2) { // swap with a sibling
                int j = rnd.nextInt(size);
                how.append("swapped with sibling ").append(j);
                if (parent.isObject()) {
                    String other = nthField(parent, j);
                    JsonNode o = parent.get(other);
                    ((ObjectNode) parent).set(other, child);
                    ((ObjectNode) parent).set(key, o);
                } else {
                    JsonNode o = parent.get(j);
                    ((ArrayNode) parent).set(j, child);
                    ((ArrayNode) parent).set(k, o);
                }
            } else {
                JsonNode v = hostileValue(child, how);
                if (parent.isObject()) ((ObjectNode) parent).set(key, v);
                else ((ArrayNode) parent).set(k, v);
            }
            return copy;
        }
        how.append(path).append(": nothing to change");
        return copy;
    }

    /** A value of another type or a hostile value of the same type. */
    JsonNode hostileValue(JsonNode old, StringBuilder how) {
        if (old.isTextual() && rnd.nextBoolean()) {
            String s = old.asText();
            int at = s.isEmpty() ? 0 : rnd.nextInt(s.length() + 1);
            String bit = switch (rnd.nextInt(4)) {
                case 0 -> REGEX_BITS[rnd.nextInt(REGEX_BITS.length)];
                case 1 -> "";
                case 2 -> s;
                default -> String.valueOf((char) rnd.nextInt(0x3000));
            };
            String t = rnd.nextInt(4) == 0 ? bit : s.substring(0, at) + bit + s.substring(Math.min(s.length(), at + rnd.nextInt(3)));
            how.append("string -> \"").append(t.length() > 40 ? t.substring(0, 40) + "..." : t).append('"');
            return F.textNode(t);
        }
        if (old.isNumber() && rnd.nextBoolean()) {
            long v = old.asLong();
            long[] choices = {v + 1, v - 1, -v, v * 1000, v / 2, 0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE, 1L << 31, 1L << 40};
            long c = choices[rnd.nextInt(choices.length)];
            how.append("number -> ").append(c);
            return F.numberNode(c);
        }
        int op = rnd.nextInt(16);
        JsonNode v = switch (op) {
            case 0 -> F.nullNode();
            case 1 -> F.booleanNode(rnd.nextBoolean());
            case 2 -> F.textNode("");
            case 3 -> F.textNode("x");
            case 4 -> F.numberNode(-1);
            case 5 -> F.numberNode(0);
            case 6 -> F.numberNode(Integer.MAX_VALUE);
            case 7 -> F.numberNode(new BigInteger("123456789012345678901234567890"));
            case 8 -> F.numberNode(1e308);
            case 9 -> F.numberNode(0.5);
            case 10 -> F.arrayNode();
            case 11 -> F.objectNode();
            case 12 -> F.textNode("a".repeat(100_000));
            case 13 -> { // deep nesting
                JsonNode n = F.arrayNode();
                for (int i = 0; i < 100; i++) n = F.arrayNode().add(n);
                yield n;
            }
            case 14 -> F.arrayNode().add(old.deepCopy()); // wrapped in a list
            default -> F.numberNode(-2147483648L);
        };
        how.append("-> ").append(op == 12 ? "100k string" : op == 13 ? "100-deep list" : op == 14 ? "[old]" : v.toString());
        return v;
    }

    private static String nthField(JsonNode obj, int k) {
        Iterator<String> it = obj.fieldNames();
        for (int i = 0; i < k; i++) it.next();
        return it.next();
    }

    private static JsonNode shallowCopy(JsonNode n) {
        if (n.isObject()) {
            ObjectNode o = F.objectNode();
            for (Map.Entry<String, JsonNode> e : n.properties()) o.set(e.getKey(), e.getValue());
            return o;
        }
        ArrayNode a = F.arrayNode(n.size());
        List<JsonNode> items = new ArrayList<>(n.size());
        n.forEach(items::add);
        a.addAll(items);
        return a;
    }
}
