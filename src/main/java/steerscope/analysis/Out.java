package steerscope.analysis;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import steerscope.io.AtomicFiles;
import steerscope.io.Json;

/** Writing the analysis files: JSON through Jackson, atomically; NaN and infinities become null. */
final class Out {
    private Out() {}

    /** A number for JSON: null when it is not finite (e.g. a ratio with a zero denominator). */
    static Double num(double x) {
        return Double.isFinite(x) ? x : null;
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static void write(Path dir, String name, Object value) {
        AtomicFiles.writeString(dir.resolve(name), Json.writePretty(value));
    }

    /** {value, lo, hi} (a {@link steerscope.util.Bootstrap} result) as JSON: value and ci [lo, hi], nulls for what is not finite. */
    static Map<String, Object> interval(double[] v) {
        return map("value", num(v[0]), "ci", Arrays.asList(num(v[1]), num(v[2])));
    }
}
