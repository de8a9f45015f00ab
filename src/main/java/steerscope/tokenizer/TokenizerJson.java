package steerscope.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import steerscope.io.Json;
import steerscope.util.UserError;

/**
 * Reads a Hugging Face tokenizer.json (byte-level BPE) into the parts {@link Tokenizer} runs, checking
 * each field and naming the file and field when one is wrong.
 */
final class TokenizerJson {
    /** More ids than any real vocab has (Qwen has 152k): the tokenizer allocates arrays indexed by id. */
    static final int MAX_ID = (1 << 24) - 1;

    private final Path file;

    // what the file says, read by load()
    Map<String, Integer> vocab;
    BpeModel model;
    List<AddedTokens.AddedToken> addedTokens = new ArrayList<>();
    List<Normalizer.Form> normalizers = new ArrayList<>();
    PreTokenizer preTokenizer;
    String preTokenizerKind;
    String normalizerKind = "none";
    String postProcessorKind = "none";
    /** ids the post-processor puts before and after the text when special tokens are added */
    List<Integer> prefix = new ArrayList<>(), suffix = new ArrayList<>();

    private TokenizerJson(Path file) {
        this.file = file;
    }

    static TokenizerJson read(Path file) {
        TokenizerJson t = new TokenizerJson(file);
        t.parse(Json.read(file));
        return t;
    }

    private UserError error(String field, String message) {
        return UserError.inFile(file, field + ": " + message);
    }

    private void parse(JsonNode root) {
        if (!root.isObject()) throw error("(root)", "expected a JSON object");
        JsonNode modelNode = root.get("model");
        if (modelNode == null || modelNode.isNull()) throw error("model", "missing; expected the BPE model object");
        parseModel(modelNode);
        parseAddedTokens(root.get("added_tokens"));
        parseNormalizer(root.get("normalizer"), "normalizer");
        normalizerKind = kind(root.get("normalizer"));
        List<PreTokenizer> steps = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        parsePreTokenizer(root.get("pre_tokenizer"), "pre_tokenizer", steps, kinds);
        if (steps.isEmpty() || !(steps.getLast() instanceof PreTokenizer.ByteLevelSplit)) {
            throw error("pre_tokenizer", "expected a ByteLevel pre-tokenizer as the last step (only byte-level BPE is supported)");
        }
        preTokenizer = steps.size() == 1 ? steps.getFirst() : new PreTokenizer.Sequence(List.copyOf(steps));
        preTokenizerKind = kinds.size() == 1 ? kinds.getFirst() : "Sequence[" + String.join(", ", kinds) + "]";
        parsePostProcessor(root.get("post_processor"), "post_processor");
        postProcessorKind = kind(root.get("post_processor"));
        JsonNode decoder = root.get("decoder");
        if (decoder != null && !decoder.isNull() && !"ByteLevel".equals(decoder.path("type").asText())) {
            throw error("decoder.type", "expected \"ByteLevel\", got " + decoder.path("type"));
        }
    }

    private static String kind(JsonNode node) {
        if (node == null || node.isNull()) return "none";
        if (node.path("type").asText().equals("Sequence")) {
            List<String> parts = new ArrayList<>();
            JsonNode list = node.has("normalizers") ? node.get("normalizers") : node.get("processors");
            if (list != null) for (JsonNode n : list) parts.add(kind(n));
            return "Sequence[" + String.join(", ", parts) + "]";
        }
        return node.path("type").asText("?");
    }

    private void parseModel(JsonNode m) {
        if (!m.isObject()) throw error("model", "expected an object");
        String type = m.path("type").asText("BPE");
        if (!type.equals("BPE")) throw error("model.type", "expected \"BPE\" (byte-level BPE), got \"" + type + "\"");
        for (String f : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (m.hasNonNull(f) && !m.get(f).asText().isEmpty()) throw error("model." + f, "not supported by byte-level BPE: " + m.get(f));
        }
        if (m.path("byte_fallback").asBoolean(false)) throw error("model.byte_fallback", "byte fallback is not supported (byte-level BPE needs none)");
        JsonNode v = m.get("vocab");
        if (v == null || !v.isObject()) throw error("model.vocab", "missing or not an object of piece -> id");
        vocab = new HashMap<>(v.size() * 2);
        for (var e : v.properties()) {
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0 || e.getValue().asInt() > MAX_ID) {
                throw error("model.vocab", "id of \"" + e.getKey() + "\" is " + e.getValue() + ", expected an integer from 0 to " + MAX_ID);
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        JsonNode merges = m.get("merges");
        if (merges == null || !merges.isArray()) throw error("model.merges", "missing or not an array");
        int n = merges.size();
        int[] left = new int[n], right = new int[n], merged = new int[n];
        for (int i = 0; i < n; i++) {
            JsonNode e = merges.get(i);
            String a, b;
            if (e.isTextual()) {
                String s = e.asText();
                int sp = s.indexOf(' ');
                if (sp <= 0 || sp == s.length() - 1 || s.indexOf(' ', sp + 1) >= 0) {
                    throw error("model.merges[" + i + "]", "expected \"a b\" (two pieces separated by one space), got \"" + s + "\"");
                }
                a = s.substring(0, sp);
                b = s.substring(sp + 1);
            } else if (e.isArray() && e.size() == 2 && e.get(0).isTextual() && e.get(1).isTextual()) {
                a = e.get(0).asText();
                b = e.get(1).asText();
            } else {
                throw error("model.merges[" + i + "]", "expected \"a b\" or [a, b], got " + e);
            }
            left[i] = idOf(a, i);
            right[i] = idOf(b, i);
            merged[i] = idOf(a + b, i);
        }
        model = new BpeModel(vocab, left, right, merged, m.path("ignore_merges").asBoolean(false));
    }

    private int idOf(String piece, int mergeIndex) {
        Integer id = vocab.get(piece);
        if (id == null) throw error("model.merges[" + mergeIndex + "]", "refers to \"" + piece + "\", which is not in model.vocab");
        return id;
    }

    private void parseAddedTokens(JsonNode list) {
        if (list == null || list.isNull()) return;
        if (!list.isArray()) throw error("added_tokens", "expected an array");
        for (int i = 0; i < list.size(); i++) {
            JsonNode t = list.get(i);
            String field = "added_tokens[" + i + "]";
            if (!t.path("id").canConvertToInt() || t.path("id").asInt() < 0 || t.path("id").asInt() > MAX_ID) {
                throw error(field + ".id", "missing or not an integer from 0 to " + MAX_ID);
            }
            if (!t.path("content").isTextual() || t.path("content").asText().isEmpty()) throw error(field + ".content", "missing or empty");
            addedTokens.add(new AddedTokens.AddedToken(t.get("id").asInt(), t.get("content").asText(),
                    t.path("special").asBoolean(false), t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("single_word").asBoolean(false), t.path("normalized").asBoolean(!t.path("special").asBoolean(false))));
        }
    }

    private void parseNormalizer(JsonNode n, String field) {
        if (n == null || n.isNull()) return;
        String type = n.path("type").asText();
        switch (type) {
            case "NFC" -> normalizers.add(Normalizer.Form.NFC);
            case "NFD" -> normalizers.add(Normalizer.Form.NFD);
            case "NFKC" -> normalizers.add(Normalizer.Form.NFKC);
            case "NFKD" -> normalizers.add(Normalizer.Form.NFKD);
            case "Sequence" -> {
                JsonNode list = n.get("normalizers");
                if (list == null || !list.isArray()) throw error(field + ".normalizers", "missing or not an array");
                for (int i = 0; i < list.size(); i++) parseNormalizer(list.get(i), field + ".normalizers[" + i + "]");
            }
            default -> throw error(field + ".type", "unsupported normalizer \"" + type + "\" (supported: NFC, NFD, NFKC, NFKD, Sequence)");
        }
    }

    private void parsePreTokenizer(JsonNode p, String field, List<PreTokenizer> steps, List<String> kinds) {
        if (p == null || p.isNull()) throw error(field, "missing; expected a ByteLevel pre-tokenizer (byte-level BPE)");
        String type = p.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                JsonNode list = p.get("pretokenizers");
                if (list == null || !list.isArray()) throw error(field + ".pretokenizers", "missing or not an array");
                for (int i = 0; i < list.size(); i++) parsePreTokenizer(list.get(i), field + ".pretokenizers[" + i + "]", steps, kinds);
            }
            case "Split" -> {
                JsonNode pattern = p.get("pattern");
                Pattern compiled;
                if (pattern != null && pattern.path("Regex").isTextual()) {
                    compiled = compileRegex(pattern.get("Regex").asText(), field + ".pattern.Regex");
                } else if (pattern != null && pattern.path("String").isTextual()) {
                    compiled = Pattern.compile(Pattern.quote(pattern.get("String").asText()));
                } else {
                    throw error(field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}, got " + pattern);
                }
                String behavior = p.path("behavior").asText("Isolated");
                PreTokenizer.Behavior b = switch (behavior) {
                    case "Removed" -> PreTokenizer.Behavior.REMOVED;
                    case "Isolated" -> PreTokenizer.Behavior.ISOLATED;
                    case "MergedWithPrevious" -> PreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
                    case "MergedWithNext" -> PreTokenizer.Behavior.MERGED_WITH_NEXT;
                    case "Contiguous" -> PreTokenizer.Behavior.CONTIGUOUS;
                    default -> throw error(field + ".behavior", "unknown split behavior \"" + behavior + "\"");
                };
                steps.add(new PreTokenizer.Split(compiled, b, p.path("invert").asBoolean(false)));
                kinds.add("Split(" + behavior + ")");
            }
            case "ByteLevel" -> {
                boolean useRegex = p.path("use_regex").asBoolean(true);
                Pattern regex = useRegex ? compileRegex(PreTokenizer.GPT2_PATTERN, field) : null;
                steps.add(new PreTokenizer.ByteLevelSplit(p.path("add_prefix_space").asBoolean(false), regex));
                kinds.add(useRegex ? "ByteLevel(GPT-2 regex)" : "ByteLevel");
            }
            default -> throw error(field + ".type", "unsupported pre-tokenizer \"" + type + "\" (supported: Sequence, Split, ByteLevel)");
        }
    }

    private Pattern compileRegex(String regex, String field) {
        try {
            return OnigRegex.compile(regex);
        } catch (PatternSyntaxException e) {
            throw error(field, "regex does not compile: " + e.getDescription());
        }
    }

    private void parsePostProcessor(JsonNode p, String field) {
        if (p == null || p.isNull()) return;
        String type = p.path("type").asText();
        switch (type) {
            case "ByteLevel" -> {} // only adjusts offsets
            case "Sequence" -> {
                JsonNode list = p.get("processors");
                if (list == null || !list.isArray()) throw error(field + ".processors", "missing or not an array");
                for (int i = 0; i < list.size(); i++) parsePostProcessor(list.get(i), field + ".processors[" + i + "]");
            }
            case "TemplateProcessing" -> {
                JsonNode single = p.get("single");
                if (single == null || !single.isArray()) throw error(field + ".single", "missing or not an array");
                boolean afterText = false;
                for (int i = 0; i < single.size(); i++) {
                    JsonNode item = single.get(i);
                    if (item.has("Sequence")) {
                        afterText = true;
                    } else if (item.has("SpecialToken")) {
                        String name = item.get("SpecialToken").path("id").asText();
                        JsonNode ids = p.path("special_tokens").path(name).path("ids");
                        if (!ids.isArray() || ids.isEmpty()) throw error(field + ".special_tokens", "no ids for \"" + name + "\"");
                        for (JsonNode id : ids) (afterText ? suffix : prefix).add(id.asInt());
                    } else {
                        throw error(field + ".single[" + i + "]", "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
                    }
                }
            }
            case "RobertaProcessing", "BertProcessing" -> {
                for (String k : List.of("cls", "sep")) {
                    if (!p.path(k).path(1).canConvertToInt()) throw error(field + "." + k, "expected [token, id]");
                }
                prefix.add(p.get("cls").get(1).asInt());
                suffix.add(p.get("sep").get(1).asInt());
            }
            default -> throw error(field + ".type", "unsupported post-processor \"" + type + "\"");
        }
    }
}
