package steerscope.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import steerscope.util.UserError;

/**
 * A byte-level BPE tokenizer read from a Hugging Face tokenizer.json (Qwen2/2.5/3, Llama 3, GPT-2 style),
 * giving the same ids as HF tokenizers.
 *
 * <p>Encoding: split on added tokens, normalize, pre-tokenize (regex), map each pre-token's UTF-8 bytes to
 * the byte alphabet, apply BPE merges; with special tokens, the post-processor wraps the result.
 * Thread-safe after loading.
 */
public final class Tokenizer {
    private final Path file;
    private final BpeModel model;
    private final PreTokenizer preTokenizer;
    private final List<Normalizer.Form> normalizers;
    private final AddedTokens rawAddedTokens;        // matched in the text as given
    private final AddedTokens normalizedAddedTokens; // matched after normalization
    private final Map<String, Integer> ids = new HashMap<>();
    private final String[] pieces;
    private final boolean[] special;
    private final boolean[] added;
    private final int[] prefix, suffix;
    private final String summary;

    private Tokenizer(Path file, TokenizerJson json) {
        this.file = file;
        this.model = json.model;
        this.preTokenizer = json.preTokenizer;
        this.normalizers = List.copyOf(json.normalizers);
        int size = 0;
        for (int id : json.vocab.values()) size = Math.max(size, id + 1);
        for (var t : json.addedTokens) size = Math.max(size, t.id() + 1);
        pieces = new String[size];
        special = new boolean[size];
        added = new boolean[size];
        for (var e : json.vocab.entrySet()) {
            pieces[e.getValue()] = e.getKey();
            ids.put(e.getKey(), e.getValue());
        }
        List<AddedTokens.AddedToken> raw = new ArrayList<>(), normalized = new ArrayList<>();
        int specials = 0;
        for (var t : json.addedTokens) {
            pieces[t.id()] = t.content();
            ids.put(t.content(), t.id());
            special[t.id()] = t.special();
            added[t.id()] = true;
            if (t.special()) specials++;
            (t.normalized() && !normalizers.isEmpty() ? normalized : raw).add(t.normalized() ? withContent(t, normalize(t.content())) : t);
        }
        rawAddedTokens = new AddedTokens(raw);
        normalizedAddedTokens = new AddedTokens(normalized);
        prefix = json.prefix.stream().mapToInt(Integer::intValue).toArray();
        suffix = json.suffix.stream().mapToInt(Integer::intValue).toArray();
        for (int id : prefix) checkId(id, "post_processor");
        for (int id : suffix) checkId(id, "post_processor");
        summary = String.format("byte-level BPE: vocab size %d (%d pieces + %d added tokens, %d special), %d merges, "
                        + "pre-tokenizer %s, normalizer %s, post-processor %s",
                size, json.vocab.size(), json.addedTokens.size(), specials, model.mergeCount(),
                json.preTokenizerKind, json.normalizerKind, json.postProcessorKind);
    }

    private void checkId(int id, String field) {
        if (id < 0 || id >= pieces.length || pieces[id] == null) {
            throw UserError.inFile(file, field + ": token id " + id + " is not in the vocab");
        }
    }

    private static AddedTokens.AddedToken withContent(AddedTokens.AddedToken t, String content) {
        return new AddedTokens.AddedToken(t.id(), content, t.special(), t.lstrip(), t.rstrip(), t.singleWord(), t.normalized());
    }

    /** Reads a tokenizer.json; a bad file is a UserError naming the file and the field. */
    public static Tokenizer load(Path tokenizerJson) {
        return new Tokenizer(tokenizerJson, TokenizerJson.read(tokenizerJson));
    }

    /** Ids of the text without the post-processor's special tokens; added tokens in the text are recognised. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** Ids of the text; with {@code addSpecialTokens} the post-processor's tokens (e.g. Llama 3's BOS) are added. */
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecialTokens) out.addAll(prefix);
        List<String> preTokens = new ArrayList<>();
        for (AddedTokens.Segment raw : rawAddedTokens.split(text)) {
            if (raw.isToken()) {
                out.add(raw.id());
                continue;
            }
            String normalized = normalize(raw.text());
            for (AddedTokens.Segment seg : normalizedAddedTokens.split(normalized)) {
                if (seg.isToken()) {
                    out.add(seg.id());
                    continue;
                }
                preTokens.clear();
                preTokenizer.split(seg.text(), preTokens);
                for (String p : preTokens) out.addAll(model.encode(p));
            }
        }
        if (addSpecialTokens) out.addAll(suffix);
        return out.toArray();
    }

    private String normalize(String text) {
        for (Normalizer.Form form : normalizers) {
            if (!Normalizer.isNormalized(text, form)) text = Normalizer.normalize(text, form);
        }
        return text;
    }

    /** The text of the ids, special tokens included. Invalid UTF-8 becomes U+FFFD. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * The text of {@code ids}. Ids the vocabulary lacks are skipped, as Hugging Face's tokenizers do: a model's
     * embedding is often padded past its tokenizer (Qwen2.5: 151,936 rows for about 151,665 tokens), and sampling
     * can pick a padding row.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (!has(id) || skipSpecialTokens && isSpecial(id)) continue;
            appendBytes(id, bytes);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Whether the vocabulary has a piece or an added token for {@code id}. */
    public boolean has(int id) {
        return id >= 0 && id < pieces.length && pieces[id] != null;
    }

    /** Appends the bytes of one token (none for an id the vocabulary lacks, see {@link #decode(int[], boolean)}). */
    void appendBytes(int id, ByteArrayOutputStream out) {
        if (!has(id)) return;
        String piece = piece(id);
        if (added[id]) out.writeBytes(piece.getBytes(StandardCharsets.UTF_8));
        else ByteLevel.appendPieceBytes(piece, out);
    }

    /** The vocab string (byte-level form) of an id, or the added token's content. */
    public String piece(int id) {
        if (!has(id)) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocab of " + file);
        }
        return pieces[id];
    }

    public OptionalInt tokenId(String piece) {
        Integer id = ids.get(piece);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Max id + 1 over the vocab and the added tokens. */
    public int vocabSize() {
        return pieces.length;
    }

    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    /** Decodes token by token, holding back bytes of a character that is not complete yet. */
    public StreamDecoder streamDecoder() {
        return new StreamDecoder(this);
    }

    /** One line: type, vocab size, merges, added tokens, pre-tokenizer. */
    public String summary() {
        return summary;
    }

    @Override
    public String toString() {
        return file + ": " + summary;
    }

    /** A growable int array, to avoid boxing while encoding. */
    private static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) {
            a = new int[Math.max(4, capacity)];
        }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, a.length * 2);
            a[n++] = v;
        }

        void addAll(int[] vs) {
            if (n + vs.length > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, n + vs.length));
            System.arraycopy(vs, 0, a, n, vs.length);
            n += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
