package steerscope.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns ids into text as they arrive (generation). A token may end in the middle of a UTF-8 character
 * (byte-level BPE splits rare characters into bytes), so the bytes of an incomplete character are held
 * back until the token that completes them. The concatenation of all pushes and flush() equals decode(ids).
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    StreamDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one token; returns the text completed by it (possibly empty). */
    public String push(int id) {
        tokenizer.appendBytes(id, pending);
        byte[] bytes = pending.toByteArray();
        int cut = completePrefix(bytes);
        pending.reset();
        pending.write(bytes, cut, bytes.length - cut);
        return new String(bytes, 0, cut, StandardCharsets.UTF_8);
    }

    /** Whatever is held back, with U+FFFD for an unfinished character. */
    public String flush() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /**
     * Length of the prefix that can be decoded now: all of it, unless it ends with the start of a
     * character (a lead byte followed by fewer continuation bytes than it announces).
     */
    static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int v = b[n - back] & 0xFF;
            if ((v & 0xC0) == 0x80) continue; // continuation byte: look further back
            int need = v >= 0xF0 && v <= 0xF4 ? 4 : v >= 0xE0 && v < 0xF0 ? 3 : v >= 0xC2 && v < 0xE0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }

    @Override
    public String toString() {
        return "StreamDecoder(pending " + Arrays.toString(pending.toByteArray()) + ")";
    }
}
