package steerscope.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The small pieces with answers known on paper: divergences, cosine, token categories, positions. */
class DivergenceAndCategoriesTest {
    @Test
    void jsIsZeroForIdenticalAndLn2ForDisjointDistributions() {
        float[] p = {0.2f, 0.3f, 0.5f, 0f, 0f};
        assertEquals(0, Divergence.js(p, 0, p, 0, 5), 1e-12);
        float[] a = {0.5f, 0.5f, 0f, 0f}, b = {0f, 0f, 0.25f, 0.75f};
        assertEquals(Math.log(2), Divergence.js(a, 0, b, 0, 4), 1e-7);
        // half overlap: p = (1, 0), q = (1/2, 1/2): JS = 1/2 ln(4/3) + 1/4 ln(1/(3/4)·1/2·...) computed by hand below
        float[] c = {1f, 0f}, d = {0.5f, 0.5f};
        double m0 = 0.75, m1 = 0.25;
        double expected = 0.5 * (1 * Math.log(1 / m0)) + 0.5 * (0.5 * Math.log(0.5 / m0) + 0.5 * Math.log(0.5 / m1));
        assertEquals(expected, Divergence.js(c, 0, d, 0, 2), 1e-7);
    }

    @Test
    void klOfLogitsMatchesTheFormula() {
        // logits give p = (1/2, 1/2) and q = (1/4, 3/4)
        float[] p = {0f, 0f}, q = {0f, (float) Math.log(3)};
        double expected = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
        assertEquals(expected, Divergence.klOfLogits(p, 0, q, 0, 2), 1e-7);
        assertEquals(0, Divergence.klOfLogits(q, 0, q, 0, 2), 1e-12);
        // a constant shift of the logits is the same distribution
        float[] shifted = {5f, 5f + (float) Math.log(3)};
        assertEquals(0, Divergence.klOfLogits(q, 0, shifted, 0, 2), 1e-6);
    }

    @Test
    void cosine() {
        assertEquals(1, Divergence.cosine(new float[] {1, 2, 3}, new float[] {2, 4, 6}), 1e-12);
        assertEquals(0, Divergence.cosine(new float[] {1, 0}, new float[] {0, 3}), 1e-12);
        assertEquals(-1, Divergence.cosine(new float[] {1, 1}, new float[] {-2, -2}), 1e-12);
    }

    @Test
    void tokenCategories() {
        for (String s : new String[] {"Step", " To", "First", " first", "Let", " we", "So", " Therefore", "Then", " Next", " find", "STEP"}) {
            assertEquals("process", TokenCategories.category(s), s);
        }
        for (String s : new String[] {":", "7", " 42", "\n", "\n\n", " =", "-", "+", "*", "\\", "{", "}", "boxed", "\\boxed", "\\boxed{", " \\frac",
                "):", "3.5", "\\times"}) {
            assertEquals("structure", TokenCategories.category(s), s);
        }
        for (String s : new String[] {"hello", " apple", " ", "", "Stepping", "x", " right", "times", "<|endoftext|>"}) {
            assertEquals("other", TokenCategories.category(s), s);
        }
    }

    @Test
    void byteLevelCharactersMapBackToTheirBytes() {
        // GPT-2's table: printable bytes are themselves; space is 'Ġ' (U+0120), 0xAD (soft hyphen) is 'Ń' (U+0143)
        assertEquals('A', Vocab.byteOf('A'));
        assertEquals(0x20, Vocab.byteOf('\u0120'));
        assertEquals(0x0A, Vocab.byteOf('\u010A'));
        assertEquals(0xAD, Vocab.byteOf('\u0143'));
        assertEquals(0xE9, Vocab.byteOf('\u00E9'));
    }

    @Test
    void laterPositionsAreEvenlySpacedAndBounded() {
        assertEquals(0, ResidualLens.spaced(5, 4, 8).length);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {5, 6, 7}, ResidualLens.spaced(5, 7, 8));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 5, 10}, ResidualLens.spaced(0, 10, 3));
    }
}
