package steerscope.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's bytes_to_unicode: every byte gets a printable character, so a byte string can live in a
 * string vocabulary. Printable Latin-1 bytes map to themselves, the rest (controls, space, ...) to U+0100 upwards.
 */
final class ByteLevel {
    /** byte (0..255) -> character. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** character -> byte, or -1; indexed by char below 512 (all mapped chars are < 0x144). */
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** The byte-level form of a text: its UTF-8 bytes, each as its mapped character. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** The byte of a mapped character, or -1 when the character is not one of the 256. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * Appends the bytes a vocab piece stands for. Like HF's ByteLevel decoder, a piece with a character
     * outside the byte alphabet is taken as plain text (its UTF-8 bytes).
     */
    static void appendPieceBytes(String piece, ByteArrayOutputStream out) {
        for (int i = 0; i < piece.length(); i++) {
            if (byteOf(piece.charAt(i)) < 0) {
                out.writeBytes(piece.getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        for (int i = 0; i < piece.length(); i++) out.write(byteOf(piece.charAt(i)));
    }
}
