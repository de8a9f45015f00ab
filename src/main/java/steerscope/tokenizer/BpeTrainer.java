package steerscope.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import steerscope.io.AtomicFiles;
import steerscope.io.Json;

/**
 * Trains a byte-level BPE tokenizer (Qwen2 style: Qwen2's pre-tokenizer regex, single digits) on a list
 * of texts and writes it as a standard Hugging Face tokenizer.json.
 *
 * <p>Vocab layout: ids 0..255 are the 256 bytes (in byte order), then one id per merge, then the special
 * tokens. Each step merges the most frequent adjacent pair (counted over distinct pre-tokens times their
 * frequency); ties go to a seeded hash of the pair, so a seed gives one result. Training stops at the
 * requested vocab size or when no pair occurs at least twice.
 */
public final class BpeTrainer {
    /** Qwen2's pre-tokenizer: letters with one leading non-letter, single digits, punctuation runs, newlines, spaces. */
    public static final String QWEN2_PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final int MIN_PAIR_COUNT = 2;

    private final int vocabSize;
    private final List<String> specialTokens;
    private final long seed;

    // the result of train()
    private final List<String> pieces = new ArrayList<>(); // id -> byte-level piece (bytes and merges)
    private final List<int[]> merges = new ArrayList<>();  // [left id, right id] in rank order

    /**
     * @param vocabSize total vocab size wanted, the 256 bytes and the special tokens included
     * @param specialTokens added as special tokens after the learned pieces; never split or learned from
     */
    public BpeTrainer(int vocabSize, List<String> specialTokens, long seed) {
        this.specialTokens = List.copyOf(new LinkedHashSet<>(specialTokens));
        if (vocabSize < 256 + this.specialTokens.size()) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " is below 256 bytes + " + this.specialTokens.size() + " special tokens");
        }
        this.vocabSize = vocabSize;
        this.seed = seed;
    }

    /** Learns the merges from the texts (replacing any earlier training). Returns this. */
    public BpeTrainer train(List<String> texts) {
        pieces.clear();
        merges.clear();
        for (int b = 0; b < 256; b++) pieces.add(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
        Map<String, Integer> pieceIds = new HashMap<>();
        for (int i = 0; i < pieces.size(); i++) pieceIds.put(pieces.get(i), i);

        List<int[]> words = new ArrayList<>();
        long[] freq = countWords(texts, words);
        Map<Long, Long> pairCounts = new HashMap<>();
        Map<Long, Set<Integer>> wordsWithPair = new HashMap<>();
        for (int w = 0; w < words.size(); w++) addPairs(words.get(w), freq[w], w, pairCounts, wordsWithPair);

        // max-heap on (count, seeded tie-break); entries go stale as counts drop and are re-queued when popped
        PriorityQueue<long[]> queue = new PriorityQueue<>((x, y) -> x[1] != y[1] ? Long.compare(y[1], x[1]) : Long.compare(x[2], y[2]));
        for (var e : pairCounts.entrySet()) queue.add(entry(e.getKey(), e.getValue()));

        int wanted = vocabSize - specialTokens.size();
        while (pieces.size() < wanted && !queue.isEmpty()) {
            long[] top = queue.poll();
            long pair = top[0];
            long count = pairCounts.getOrDefault(pair, 0L);
            if (count != top[1]) {
                if (count > 0) queue.add(entry(pair, count));
                continue;
            }
            if (count < MIN_PAIR_COUNT) break;
            int left = (int) (pair >>> 32), right = (int) pair;
            String merged = pieces.get(left) + pieces.get(right);
            Integer newId = pieceIds.get(merged); // another pair may already have made this piece
            if (newId == null) {
                newId = pieces.size();
                pieces.add(merged);
                pieceIds.put(merged, newId);
            }
            merges.add(new int[] {left, right});
            Set<Long> touched = new HashSet<>();
            for (int w : wordsWithPair.remove(pair)) {
                int[] word = words.get(w);
                int[] replaced = applyMerge(word, left, right, newId);
                if (replaced == word) continue;
                removePairs(word, freq[w], pairCounts);
                addPairs(replaced, freq[w], w, pairCounts, wordsWithPair);
                words.set(w, replaced);
                for (int i = 0; i + 1 < replaced.length; i++) {
                    if (replaced[i] == newId || replaced[i + 1] == newId) touched.add(key(replaced[i], replaced[i + 1]));
                }
            }
            pairCounts.remove(pair);
            for (long p : touched) queue.add(entry(p, pairCounts.get(p)));
        }
        return this;
    }

    private long[] entry(long pair, long count) {
        return new long[] {pair, count, mix(pair ^ seed)};
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | right;
    }

    /** Distinct pre-tokens (as byte ids) and how often each occurs. Special tokens in the text are cut out. */
    private long[] countWords(List<String> texts, List<int[]> words) {
        var pattern = OnigRegex.compile(QWEN2_PATTERN);
        var splitter = new PreTokenizer.Split(pattern, PreTokenizer.Behavior.ISOLATED, false);
        List<AddedTokens.AddedToken> specials = new ArrayList<>();
        for (String s : specialTokens) specials.add(new AddedTokens.AddedToken(0, s, true, false, false, false, false));
        AddedTokens specialSplitter = new AddedTokens(specials);
        Map<String, Integer> index = new HashMap<>();
        List<Long> counts = new ArrayList<>();
        List<String> preTokens = new ArrayList<>();
        for (String text : texts) {
            for (AddedTokens.Segment seg : specialSplitter.split(text)) {
                if (seg.isToken()) continue;
                preTokens.clear();
                splitter.split(seg.text(), preTokens);
                for (String p : preTokens) {
                    Integer w = index.get(p);
                    if (w == null) {
                        index.put(p, words.size());
                        byte[] bytes = p.getBytes(StandardCharsets.UTF_8);
                        int[] ids = new int[bytes.length];
                        for (int i = 0; i < bytes.length; i++) ids[i] = bytes[i] & 0xFF;
                        words.add(ids);
                        counts.add(1L);
                    } else {
                        counts.set(w, counts.get(w) + 1);
                    }
                }
            }
        }
        return counts.stream().mapToLong(Long::longValue).toArray();
    }

    private static void addPairs(int[] word, long freq, int w, Map<Long, Long> counts, Map<Long, Set<Integer>> where) {
        for (int i = 0; i + 1 < word.length; i++) {
            long k = key(word[i], word[i + 1]);
            counts.merge(k, freq, Long::sum);
            where.computeIfAbsent(k, x -> new HashSet<>()).add(w);
        }
    }

    private static void removePairs(int[] word, long freq, Map<Long, Long> counts) {
        for (int i = 0; i + 1 < word.length; i++) counts.merge(key(word[i], word[i + 1]), -freq, Long::sum);
    }

    /** The word with every (left, right) occurrence merged, left to right; the same array if none. */
    private static int[] applyMerge(int[] word, int left, int right, int merged) {
        int[] out = null;
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
                if (out == null) {
                    out = new int[word.length];
                    System.arraycopy(word, 0, out, 0, i);
                    n = i;
                }
                out[n++] = merged;
                i++;
            } else if (out != null) {
                out[n++] = word[i];
            }
        }
        return out == null ? word : Arrays.copyOf(out, n);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public int mergeCount() {
        return merges.size();
    }

    /** The trained tokenizer as tokenizer.json text (HF format; loads in Tokenizer and in HF tokenizers). */
    public String tokenizerJson() {
        if (pieces.isEmpty()) throw new IllegalStateException("train() first");
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < specialTokens.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", pieces.size() + i);
            t.put("content", specialTokens.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", QWEN2_PATTERN);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        steps.add(byteLevel());
        root.set("post_processor", byteLevel());
        root.set("decoder", byteLevel());
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < pieces.size(); i++) vocab.put(pieces.get(i), i);
        ArrayNode mergeList = model.putArray("merges");
        for (int[] m : merges) mergeList.addArray().add(pieces.get(m[0])).add(pieces.get(m[1]));
        return Json.writePretty(root);
    }

    private static ObjectNode byteLevel() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", false);
        n.put("use_regex", false);
        return n;
    }

    public void writeTokenizerJson(Path file) {
        AtomicFiles.writeString(file, tokenizerJson());
    }
}
