package steerscope.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded generator of varied text that exercises the pre-tokenizer regexes, BPE and added-token splitting. */
final class TestStrings {
    private static final String[] WORDS = {
        "the", "Hello", "world", "tokenizer", "naïve", "café", "Straße", "déjà", "Ærøskøbing", "façade", "über",
        "Ελληνικά", "λόγος", "Привет", "мир", "Україна", "مرحبا", "العربية", "שלום", "עברית", "नमस्ते", "हिन्दी",
        "สวัสดี", "ภาษาไทย", "안녕하세요", "한국어", "こんにちは", "カタカナ", "日本語", "中文", "汉字测试", "繁體字",
        "ქართული", "Հայերեն", "አማርኛ", "ᏣᎳᎩ", "ꦗꦮ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝐁𝐨𝐥𝐝", "Ⅻ", "ǅ", "ﬁ", "İstanbul", "ı", "Ǳ",
    };
    private static final String[] EMOJI = {
        "😀", "🎉", "👍", "👍🏽", "👋🏿", "🧑🏻‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷", "🇯🇵", "1️⃣", "🫠", "🐈‍⬛",
        "👩🏾‍🔬", "✌🏼", "🤷‍♀️", "☃", "⚡", "𓀀",
    };
    private static final String[] CODE = {
        "def f(x):\n    return x**2\n", "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}", "if (a && b || !c) { x->y = *p; }",
        "const s = `${a}-${b}`;", "SELECT * FROM t WHERE id='42';", "<div class=\"x\">&nbsp;</div>", "#include <stdio.h>\r\n",
        "x = [1, 2, 3]  # comment   ", "λx.x", "fn main() { println!(\"{}\", 1_000); }", "a:=b;;c", "$HOME/.bashrc && ls -la",
    };
    private static final String[] CONTRACTIONS = {
        "don't", "I'LL", "we've", "She'S", "they'd", "you're", "I'm", "it'S", "O'Neil", "rock'n'roll", "'s", "'ll", "'Ve",
        "can't'", "''", "`quoted'", "’s", "don’t",
    };
    private static final String[] PUNCT = {
        "!!!", "???", "...", "--->", "***", "«»", "、。", "!?", ".,;:", "((()))", "[]{}", "~~~", "@#$%^&*", "¿¡", "…", "—", "“”", "„",
    };
    private static final String[] SPACES = {
        " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r\n\r\n", " \n", "\n ", "\u00a0", "\u3000", "\u2009", "\u2028",
        "\u0085", " \t \n", "        ", "\r",
    };

    private final SplittableRandom rnd;
    private final List<String> specials;

    TestStrings(long seed, List<String> specials) {
        this.rnd = new SplittableRandom(seed);
        this.specials = specials;
    }

    List<String> generate(int count) {
        List<String> out = new ArrayList<>();
        // fixed edge cases first
        out.addAll(List.of("", " ", "a", "  trailing  ", "\n", "12345678901234567890", "3.14159", "1,000,000", "don't I'LL",
                "e\u0301", "ﾃｽﾄ", "１２３", "٣٤٥", "²³", "x\r\ny", String.join("", specials)));
        while (out.size() < count - 5) out.add(mixed(1 + rnd.nextInt(12)));
        for (int i = 0; i < 5; i++) out.add(mixed(800 + rnd.nextInt(2000))); // a few long strings
        return out;
    }

    private String mixed(int parts) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts; i++) {
            int k = rnd.nextInt(100);
            if (k < 20) sb.append(pick(WORDS));
            else if (k < 28) sb.append(pick(EMOJI));
            else if (k < 36) sb.append(digits());
            else if (k < 50) sb.append(pick(SPACES));
            else if (k < 55) sb.append(pick(CODE));
            else if (k < 62) sb.append(pick(CONTRACTIONS));
            else if (k < 69) sb.append(pick(PUNCT));
            else if (k < 74 && !specials.isEmpty()) sb.append(pick(specials.toArray(String[]::new)));
            else if (k < 82) sb.append(randomCodePoints(1 + rnd.nextInt(6)));
            else sb.append(asciiWord());
        }
        return sb.toString();
    }

    private String digits() {
        int len = rnd.nextInt(10) == 0 ? 10 + rnd.nextInt(40) : 1 + rnd.nextInt(6);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) sb.append((char) ('0' + rnd.nextInt(10)));
        return sb.toString();
    }

    private String asciiWord() {
        StringBuilder sb = new StringBuilder();
        if (rnd.nextBoolean()) sb.append(' ');
        int len = 1 + rnd.nextInt(10);
        for (int i = 0; i < len; i++) {
            char c = (char) ('a' + rnd.nextInt(26));
            sb.append(rnd.nextInt(5) == 0 ? Character.toUpperCase(c) : c);
        }
        return sb.toString();
    }

    /** Random assigned code points (by Java's Unicode tables; the oracle may know a newer version). */
    private String randomCodePoints(int n) {
        StringBuilder sb = new StringBuilder();
        while (n > 0) {
            int cp = switch (rnd.nextInt(4)) {
                case 0 -> rnd.nextInt(0x80, 0x800);
                case 1 -> rnd.nextInt(0x800, 0x10000);
                case 2 -> rnd.nextInt(0x10000, 0x30000);
                default -> rnd.nextInt(0x20, 0x7F);
            };
            int type = Character.getType(cp);
            if (type == Character.UNASSIGNED || type == Character.SURROGATE || type == Character.PRIVATE_USE) continue;
            sb.appendCodePoint(cp);
            n--;
        }
        return sb.toString();
    }

    private String pick(String[] a) {
        return a[rnd.nextInt(a.length)];
    }
}
