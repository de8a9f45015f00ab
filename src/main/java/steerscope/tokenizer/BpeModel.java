package steerscope.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model: turns one pre-token into vocab ids by applying merges, lowest rank first (leftmost
 * on ties), exactly as HF's word merging does. Results are cached per pre-token, up to a bound.
 */
final class BpeModel {
    private static final int CACHE_CAPACITY = 200_000;
    private static final int MAX_CACHED_LENGTH = 256;

    private final Map<String, Integer> vocab;
    private final PairMap merges;
    private final boolean ignoreMerges;
    /** vocab id of each byte's single-character piece, or -1 when the vocab lacks it. */
    private final int[] byteIds = new int[256];
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /** @param merges pairs of vocab ids in rank order, each merging into {@code mergedIds[rank]} */
    BpeModel(Map<String, Integer> vocab, int[] leftIds, int[] rightIds, int[] mergedIds, boolean ignoreMerges) {
        this.vocab = vocab;
        this.ignoreMerges = ignoreMerges;
        this.merges = new PairMap(leftIds.length);
        // a repeated pair keeps its last rank, as HF's map built in order does
        for (int rank = 0; rank < leftIds.length; rank++) merges.put(leftIds[rank], rightIds[rank], rank, mergedIds[rank]);
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]), -1);
    }

    int mergeCount() {
        return merges.size;
    }

    /** The ids of one pre-token (raw text, before the byte mapping). */
    int[] encode(String preToken) {
        int[] cached = cache.get(preToken);
        if (cached != null) return cached;
        int[] ids = encodeUncached(preToken);
        if (preToken.length() < MAX_CACHED_LENGTH && cache.size() < CACHE_CAPACITY) cache.put(preToken, ids);
        return ids;
    }

    private int[] encodeUncached(String preToken) {
        byte[] bytes = preToken.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            Integer whole = vocab.get(ByteLevel.encode(preToken));
            if (whole != null) return new int[] {whole};
        }
        int n = 0;
        int[] id = new int[bytes.length];
        for (byte b : bytes) {
            int v = byteIds[b & 0xFF];
            if (v >= 0) id[n++] = v; // a byte missing from the vocab is dropped (no unk token in byte-level BPE)
        }
        if (n <= 1) return Arrays.copyOf(id, n);
        // symbols as a linked list over positions; len 0 marks a symbol merged into its left neighbour
        int[] next = new int[n], prev = new int[n], len = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            len[i] = 1;
        }
        // queue entries: rank << 32 | position, so the lowest rank then the leftmost position comes first
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) offer(queue, id[i], id[i + 1], i);
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int pos = (int) top, rank = (int) (top >>> 32);
            int right = next[pos];
            if (len[pos] == 0 || right < 0) continue;
            long merge = merges.get(id[pos], id[right]);
            if (merge < 0 || (int) (merge >>> 32) != rank) continue; // stale: a neighbour changed
            id[pos] = (int) merge;
            len[pos] += len[right];
            len[right] = 0;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) offer(queue, id[prev[pos]], id[pos], prev[pos]);
            if (next[pos] >= 0) offer(queue, id[pos], id[next[pos]], pos);
        }
        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) count++;
        int[] out = new int[count];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) out[k++] = id[i];
        return out;
    }

    private void offer(PriorityQueue<Long> queue, int left, int right, int pos) {
        long merge = merges.get(left, right);
        if (merge >= 0) queue.add(((merge >>> 32) << 32) | pos);
    }

    /** Open-addressing map from a pair of ids to (rank << 32 | merged id); -1 when absent. */
    private static final class PairMap {
        private final long[] keys;
        private final long[] values;
        private final int mask;
        int size;

        PairMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected * 2)) << 1;
            keys = new long[cap];
            values = new long[cap];
            mask = cap - 1;
            Arrays.fill(keys, -1L);
        }

        private static long key(int a, int b) {
            return ((long) a << 32) | (b & 0xFFFFFFFFL);
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h >>> 40) & mask;
        }

        void put(int a, int b, int rank, int merged) {
            long k = key(a, b);
            int s = slot(k);
            while (keys[s] != -1L && keys[s] != k) s = (s + 1) & mask;
            if (keys[s] == -1L) size++;
            keys[s] = k;
            values[s] = ((long) rank << 32) | merged;
        }

        long get(int a, int b) {
            long k = key(a, b);
            for (int s = slot(k); keys[s] != -1L; s = (s + 1) & mask) {
                if (keys[s] == k) return values[s];
            }
            return -1L;
        }
    }
}
