package steerscope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/reproducibility.md promises the same bits on every x86-64 CPU and JVM build of one JDK release: that holds
 * for StrictMath's transcendentals (specified bit for bit) but not for Math's (HotSpot intrinsics, allowed 1 ulp of
 * slack). So no main source calls Math.exp, Math.log, Math.sin and the like; Math.sqrt, Math.fma, Math.max and
 * friends are exactly rounded and stay.
 */
class StrictMathTest {
    private static final Pattern LOOSE = Pattern.compile(
            "(?<![\\w.])Math\\.(exp|expm1|log|log10|log1p|pow|sin|cos|tan|asin|acos|atan|atan2|sinh|cosh|tanh|cbrt|hypot)\\(");

    @Test
    void noMainSourceCallsAnApproximateMathFunction() throws IOException {
        Path root = Path.of("src/main/java");
        assertTrue(Files.isDirectory(root), "run from the repository root: " + root.toAbsolutePath());
        List<String> found = new ArrayList<>();
        int files;
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> sources = s.filter(p -> p.toString().endsWith(".java")).toList();
            files = sources.size();
            for (Path p : sources) {
                List<String> lines = Files.readAllLines(p);
                for (int i = 0; i < lines.size(); i++) {
                    if (LOOSE.matcher(lines.get(i)).find()) found.add(root.relativize(p) + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertTrue(files > 50, "found only " + files + " sources under " + root);
        assertEquals(List.of(), found, "use StrictMath (docs/reproducibility.md)");
    }

    @Test
    void thePatternSeesMathButNotStrictMath() {
        assertTrue(LOOSE.matcher("double p = Math.exp(x);").find());
        assertTrue(LOOSE.matcher("(float) Math.pow(theta, e)").find());
        assertTrue(!LOOSE.matcher("double p = StrictMath.exp(x);").find());
        assertTrue(!LOOSE.matcher("double r = Math.sqrt(x) + Math.fma(a, b, c);").find());
    }
}
