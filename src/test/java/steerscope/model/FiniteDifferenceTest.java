package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import steerscope.OracleRunner;
import steerscope.tensor.Backend;

/**
 * The analytic gradient of Transformer.backward against central finite differences of the loss, on the
 * oracle's tiny F32 checkpoints and batch: a check that does not depend on the torch oracle's gradients.
 * Coordinates: steering-vector entries, and entries of weight matrices, norms and biases (full mode).
 */
class FiniteDifferenceTest {
    /** Step for the central difference: large enough that F32 rounding of the loss (~1e-5) stays small next to it. */
    static final double EPS = 1e-2;
    /** A coordinate's gradient is non-negligible when |fd| >= this; then the relative error must be < REL_TOL. */
    static final double SIGNIFICANT = 0.2, REL_TOL = 1e-2;
    /** Below SIGNIFICANT, the F32 noise floor of the difference quotient (measured <= 7e-4 at EPS) bounds the error. */
    static final double ABS_TOL = 2e-3;

    /** A parameter coordinate: where its value lives and where its gradient lives. */
    record Coord(String name, float[] values, int index, Function<Gradients, float[]> gradOf) {
        void set(float v) {
            values[index] = v;
        }

        double analytic(Gradients g) {
            return gradOf.apply(g)[index];
        }
    }

    /** The loss of the batch at the model's current parameters, from a forward and the loss head (no gradients kept). */
    static double loss(Model m, OracleBatch batch, WeightedLogProbLoss loss) {
        Transformer.Forward f = m.transformer.forward(batch.tokens(), batch.steering, null, Transformer.Save.BLOCK_INPUTS);
        return m.transformer.backward(f, loss, new Gradients(m.config, false), null);
    }

    /** Central difference (L(x+eps) − L(x−eps)) / 2eps, restoring x afterwards. */
    static double centralDifference(Coord c, double eps, Model m, OracleBatch batch, WeightedLogProbLoss loss) {
        float x = c.values[c.index];
        c.set((float) (x + eps));
        double up = loss(m, batch, loss);
        c.set((float) (x - eps));
        double down = loss(m, batch, loss);
        c.set(x);
        // the step actually taken in float
        double h = (double) (float) (x + eps) - (double) (float) (x - eps);
        return (up - down) / h;
    }

    /** Picks, per tensor, the coordinate of largest analytic gradient and {@code random} other seeded random ones. */
    static void pick(List<Coord> out, String name, float[] values, Function<Gradients, float[]> gradOf, Gradients g,
                     Random rnd, int random) {
        float[] grad = gradOf.apply(g);
        int best = 0;
        for (int i = 1; i < grad.length; i++) if (Math.abs(grad[i]) > Math.abs(grad[best])) best = i;
        Set<Integer> chosen = new LinkedHashSet<>(List.of(best));
        while (chosen.size() < 1 + random) chosen.add(rnd.nextInt(values.length));
        for (int i : chosen) out.add(new Coord(name + "[" + i + "]", values, i, gradOf));
    }

    @AfterEach
    void javaKernels() {
        Backend.use(Backend.JAVA);
    }

    @ParameterizedTest(name = "{0}, {1} kernels")
    @CsvSource({"qwen2-f32-tied, JAVA", "llama-f32-rope3, JAVA", "qwen2-f32-tied, NATIVE", "llama-f32-rope3, NATIVE"})
    void analyticGradientMatchesFiniteDifferences(String caseName, Backend backend) {
        Backend.use(backend, 1); // native: every product on oneDNN, however few rows
        Path dir = OracleRunner.checkpoint(caseName, "all");
        try (Model mapped = Model.load(dir)) {
            ModelConfig c = mapped.config;
            Model model = mapped.withWeights(mapped.weights.trainableCopy());
            ModelWeights w = model.weights;
            OracleBatch batch = new OracleBatch(dir, c);
            WeightedLogProbLoss loss = WeightedLogProbLoss.of(batch.ids, batch.mask, batch.lossWeights, batch.klWeights,
                    batch.refLogprobs, batch.klCoef);
            assertTrue(batch.klCoef != 0 && loss.count() > 5, "the batch should exercise both loss terms");

            Transformer.Forward f = model.transformer.forward(batch.tokens(), batch.steering, null, Transformer.Save.ALL);
            Gradients g = new Gradients(c, true);
            double L = model.transformer.backward(f, loss, g, null);
            assertEquals(L, loss(model, batch, loss), 1e-9 * Math.abs(L), "the loss is deterministic");

            Random rnd = new Random(31);
            List<Coord> coords = new ArrayList<>();
            for (int l : batch.steering.vectors().layers()) {
                pick(coords, "vector[" + l + "]", batch.steering.vectors().get(l), gg -> gg.vectors[l], g, rnd, 5);
            }
            for (int layer = 0; layer < c.nLayers(); layer++) {
                int l = layer;
                ModelWeights.Layer W = w.layers[l];
                String p = "layer" + l + ".";
                pick(coords, p + "wq", W.wq.array(), gg -> gg.layers[l].wq, g, rnd, 2);
                pick(coords, p + "wk", W.wk.array(), gg -> gg.layers[l].wk, g, rnd, 2);
                pick(coords, p + "wv", W.wv.array(), gg -> gg.layers[l].wv, g, rnd, 2);
                pick(coords, p + "wo", W.wo.array(), gg -> gg.layers[l].wo, g, rnd, 2);
                pick(coords, p + "wGate", W.wGate.array(), gg -> gg.layers[l].wGate, g, rnd, 2);
                pick(coords, p + "wUp", W.wUp.array(), gg -> gg.layers[l].wUp, g, rnd, 2);
                pick(coords, p + "wDown", W.wDown.array(), gg -> gg.layers[l].wDown, g, rnd, 2);
                pick(coords, p + "attnNorm", W.attnNorm, gg -> gg.layers[l].attnNorm, g, rnd, 2);
                pick(coords, p + "mlpNorm", W.mlpNorm, gg -> gg.layers[l].mlpNorm, g, rnd, 2);
                if (W.bq != null) {
                    pick(coords, p + "bq", W.bq, gg -> gg.layers[l].bq, g, rnd, 2);
                    pick(coords, p + "bk", W.bk, gg -> gg.layers[l].bk, g, rnd, 2);
                    pick(coords, p + "bv", W.bv, gg -> gg.layers[l].bv, g, rnd, 2);
                }
            }
            pick(coords, "embed", w.embed.array(), gg -> gg.embed, g, rnd, 2);
            if (g.lmHead != null) pick(coords, "lmHead", w.lmHead.array(), gg -> gg.lmHead, g, rnd, 2);
            pick(coords, "finalNorm", w.finalNorm, gg -> gg.finalNorm, g, rnd, 2);

            // the analytic gradient against the difference quotient of the loss, coordinate by coordinate
            double worstRel = 0, worstAbs = 0;
            int significantVectors = 0, significantWeights = 0;
            List<String> failures = new ArrayList<>();
            double[] fds = new double[coords.size()];
            for (int i = 0; i < coords.size(); i++) {
                Coord co = coords.get(i);
                double fd = fds[i] = centralDifference(co, EPS, model, batch, loss);
                double err = Math.abs(co.analytic(g) - fd), rel = err / Math.abs(fd);
                boolean significant = Math.abs(fd) >= SIGNIFICANT;
                System.out.printf("  %-22s analytic %+.6e  fd %+.6e  rel %.2e%s%n", co.name, co.analytic(g), fd, rel, significant ? "" : "  (small)");
                if (significant) {
                    worstRel = Math.max(worstRel, rel);
                    if (co.name.startsWith("vector")) significantVectors++; else significantWeights++;
                    if (Math.signum(co.analytic(g)) != Math.signum(fd) || rel >= REL_TOL) failures.add(co.name + " rel " + rel);
                } else {
                    worstAbs = Math.max(worstAbs, err);
                    if (err >= ABS_TOL) failures.add(co.name + " abs " + err);
                }
            }
            System.out.printf("%s: loss %.6f, %d coordinates (%d vector, %d weight with |grad| >= %.1f): worst rel %.3e, worst abs (small) %.3e%n",
                    caseName, L, coords.size(), significantVectors, significantWeights, SIGNIFICANT, worstRel, worstAbs);
            assertTrue(failures.isEmpty(), "analytic vs finite-difference gradient: " + failures);
            // the check has teeth: enough coordinates where a sign error or a wrong scale shows
            assertTrue(significantVectors >= 3 && significantWeights >= 30, "too few coordinates with a non-negligible gradient");

            // negative control: the gradient of the loss without its KL term (a missing term) must fail the same check
            WeightedLogProbLoss noKl = WeightedLogProbLoss.of(batch.ids, batch.mask, batch.lossWeights, null, null, 0f);
            Transformer.Forward f2 = model.transformer.forward(batch.tokens(), batch.steering, null, Transformer.Save.ALL);
            Gradients gNoKl = new Gradients(c, true);
            model.transformer.backward(f2, noKl, gNoKl, null);
            int caught = 0;
            for (int i = 0; i < coords.size(); i++) {
                Coord co = coords.get(i);
                double wrong = co.analytic(gNoKl);
                double err = Math.abs(wrong - fds[i]);
                if (Math.abs(fds[i]) >= SIGNIFICANT ? err / Math.abs(fds[i]) >= REL_TOL : err >= ABS_TOL) caught++;
            }
            System.out.printf("%s: a gradient without the KL term fails at %d of %d coordinates%n", caseName, caught, coords.size());
            assertTrue(caught >= coords.size() / 2, "the check should catch a missing KL term");
        }
    }
}
