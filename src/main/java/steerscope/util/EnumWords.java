package steerscope.util;

import java.util.Locale;

/** Enum constants as the lowercase words that flags and JSON files use ("rloo" for RLOO). */
public final class EnumWords {
    private EnumWords() {}

    public static String of(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** The constant whose word is {@code word}, or a UserError with {@code error} (which names the flag and the choices). */
    public static <E extends Enum<E>> E parse(Class<E> type, String word, String error) {
        for (E e : type.getEnumConstants()) if (of(e).equals(word)) return e;
        throw new UserError(error);
    }
}
