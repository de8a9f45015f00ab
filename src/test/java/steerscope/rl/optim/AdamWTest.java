package steerscope.rl.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import steerscope.OracleRunner;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.tensor.Parallel;
import steerscope.util.UserError;

class AdamWTest {
    @TempDir
    Path tmp;

    /**
     * src/test/python/adamw_oracle.py runs torch.optim.AdamW (two param groups, decay and no decay),
     * clip_grad_norm_ and an HF-formula LambdaLR for 20 steps; we feed the same gradients through GradClip,
     * LrSchedule and AdamW and compare every step's norm and rate and the final params.
     */
    @ParameterizedTest
    @CsvSource({"0,cosine,1e-8", "1,constant,1e-3", "2,cosine,1e-3"})
    void matchesTorchAdamW(int seed, String schedule, String eps) {
        Path out = tmp.resolve("oracle-" + seed + "-" + schedule);
        OracleRunner.run(List.of(OracleRunner.PYTHON.toString(), "src/test/python/adamw_oracle.py",
                "--seed", Integer.toString(seed), "--schedule", schedule, "--eps", eps, "--out", out.toString()));
        try (SafeTensors st = SafeTensors.open(out.resolve("adamw.safetensors"))) {
            Map<String, String> meta = st.metadata();
            int steps = Integer.parseInt(meta.get("steps"));
            double maxNorm = Double.parseDouble(meta.get("max_norm"));
            String[] names = meta.get("params").split(",");
            String[] decay = meta.get("decay").split(",");
            List<AdamW.Param> params = new ArrayList<>();
            for (int i = 0; i < names.length; i++) {
                float[] value = st.floats("init." + names[i]);
                params.add(new AdamW.Param(names[i], value, new float[value.length], decay[i].equals("1")));
            }
            List<float[]> grads = params.stream().map(AdamW.Param::grad).toList();
            double lr0 = Double.parseDouble(meta.get("lr"));
            AdamW opt = new AdamW(params, Double.parseDouble(meta.get("beta1")), Double.parseDouble(meta.get("beta2")),
                    Double.parseDouble(meta.get("eps")), Double.parseDouble(meta.get("weight_decay")));
            LrSchedule sched = LrSchedule.parse(meta.get("schedule"), lr0, Integer.parseInt(meta.get("warmup")), steps,
                    Double.parseDouble(meta.get("min_lr_ratio")));
            float[] torchLr = st.floats("lr"), torchNorm = st.floats("norm");
            int clipped = 0;
            for (int k = 0; k < steps; k++) {
                for (AdamW.Param p : params) {
                    float[] g = st.floats("grad." + k + "." + p.name());
                    System.arraycopy(g, 0, p.grad(), 0, g.length);
                }
                double norm = GradClip.clipByGlobalNorm(grads, maxNorm);
                assertEquals(torchNorm[k], norm, 1e-6 * norm, "norm at step " + k);
                if (norm > maxNorm) clipped++;
                assertEquals(torchLr[k], sched.lr(k), 1e-7 * lr0, "lr at step " + k);
                opt.step(sched.lr(k));
            }
            assertTrue(clipped > 0 && clipped < steps, "the oracle should clip some steps and not others: " + clipped);
            assertEquals(steps, opt.stepCount());
            // 1e-6 relative, plus the float rounding of 20 updates of size ~lr (torch fuses some multiply-adds, we don't)
            double absTol = 1e-7 * lr0 * steps, worst = 0;
            for (AdamW.Param p : params) {
                float[] want = st.floats("final." + p.name()), init = st.floats("init." + p.name());
                for (int i = 0; i < want.length; i++) {
                    double diff = Math.abs(p.value()[i] - want[i]);
                    double tol = 1e-6 * Math.abs(want[i]) + absTol;
                    worst = Math.max(worst, diff / tol);
                    assertTrue(diff <= tol, p.name() + "[" + i + "]: java " + p.value()[i] + " torch " + want[i]);
                }
                assertFalse(Arrays.equals(init, want), p.name() + " should have moved");
            }
            System.out.println("adamw oracle seed " + seed + " " + schedule + " eps " + eps + ": worst diff / tolerance = " + worst);
        }
    }

    /** Params of awkward sizes: one below a vector, one with a tail, one large enough to run in parallel. */
    private static List<AdamW.Param> randomParams(long seed) {
        Random r = new Random(seed);
        int[] sizes = {3, 1000 + 5, 70_001};
        List<AdamW.Param> ps = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            float[] v = new float[sizes[i]];
            for (int j = 0; j < v.length; j++) v[j] = (float) r.nextGaussian();
            ps.add(new AdamW.Param("p" + i, v, new float[sizes[i]], i != 0));
        }
        return ps;
    }

    private static void fillGrads(List<AdamW.Param> ps, int step) {
        Random r = new Random(1000 + step);
        for (AdamW.Param p : ps) {
            for (int j = 0; j < p.grad().length; j++) p.grad()[j] = (float) (r.nextGaussian() * (step % 3 + 0.1));
        }
    }

    private static AdamW newOpt(List<AdamW.Param> ps) {
        return new AdamW(ps, 0.9, 0.999, 1e-8, 0.01);
    }

    private static List<AdamW.Param> copyOf(List<AdamW.Param> ps) {
        return ps.stream().map(p -> new AdamW.Param(p.name(), p.value().clone(), new float[p.grad().length], p.decay())).toList();
    }

    @Test
    void saveLoadResumeIsBitExact() {
        LrSchedule sched = LrSchedule.cosine(1e-2, 2, 12, 0.0);
        List<AdamW.Param> straight = randomParams(5);
        AdamW a = newOpt(straight);
        for (int k = 0; k < 12; k++) {
            fillGrads(straight, k);
            a.step(sched.lr(k));
        }

        List<AdamW.Param> first = randomParams(5);
        AdamW b = newOpt(first);
        for (int k = 0; k < 5; k++) {
            fillGrads(first, k);
            b.step(sched.lr(k));
        }
        Path state = tmp.resolve("ckpt/optimizer.safetensors");
        b.save(state);

        List<AdamW.Param> resumed = copyOf(first); // the params come back from the model checkpoint
        AdamW c = newOpt(resumed);
        c.load(state);
        assertEquals(5, c.stepCount());
        for (int k = 5; k < 12; k++) {
            fillGrads(resumed, k);
            c.step(sched.lr(k));
        }
        for (int i = 0; i < straight.size(); i++) {
            assertArrayEquals(straight.get(i).value(), resumed.get(i).value(), 0f, straight.get(i).name());
        }
        assertEquals(12, c.stepCount());
    }

    @Test
    void sameBitsForAnyThreadCount() {
        int before = Parallel.threads();
        try {
            List<float[]> results = new ArrayList<>();
            for (int threads : new int[] {1, 3}) {
                Parallel.setThreads(threads);
                List<AdamW.Param> ps = randomParams(9);
                AdamW opt = newOpt(ps);
                for (int k = 0; k < 4; k++) {
                    fillGrads(ps, k);
                    opt.step(1e-2);
                }
                results.add(ps.get(2).value());
            }
            assertArrayEquals(results.get(0), results.get(1), 0f);
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** The vector loop and the scalar tail must compute the same float ops: one long param vs. many length-1 params. */
    @Test
    void vectorLoopMatchesScalarTail() {
        Random r = new Random(3);
        int n = 67;
        float[] value = new float[n];
        for (int i = 0; i < n; i++) value[i] = (float) r.nextGaussian();
        List<AdamW.Param> whole = List.of(new AdamW.Param("whole", value.clone(), new float[n], true));
        List<AdamW.Param> single = new ArrayList<>();
        for (int i = 0; i < n; i++) single.add(new AdamW.Param("e" + i, new float[] {value[i]}, new float[1], true));
        AdamW a = newOpt(whole), b = newOpt(single);
        for (int k = 0; k < 5; k++) {
            for (int i = 0; i < n; i++) {
                float g = (float) r.nextGaussian();
                whole.get(0).grad()[i] = g;
                single.get(i).grad()[0] = g;
            }
            a.step(3e-2);
            b.step(3e-2);
        }
        for (int i = 0; i < n; i++) assertEquals(whole.get(0).value()[i], single.get(i).value()[0], 0f, "element " + i);
    }

    @Test
    void noDecayParamsAreNotShrunk() {
        // zero gradients: only weight decay moves a param (m = v = 0, so the Adam term is 0)
        float[] w = {2f, -4f}, b = {2f, -4f};
        AdamW opt = new AdamW(List.of(new AdamW.Param("w", w, new float[2], true), new AdamW.Param("b", b, new float[2], false)),
                0.9, 0.999, 1e-8, 0.5);
        opt.step(0.1);
        assertArrayEquals(new float[] {2f * (float) (1 - 0.1 * 0.5), -4f * (float) (1 - 0.1 * 0.5)}, w, 0f);
        assertArrayEquals(new float[] {2f, -4f}, b, 0f);
    }

    @Test
    void loadRejectsMismatchedStateAndKeepsItsOwn() {
        List<AdamW.Param> ps = randomParams(1);
        AdamW a = newOpt(ps);
        fillGrads(ps, 0);
        a.step(1e-3);
        Path state = tmp.resolve("opt.safetensors");
        a.save(state);

        // a different length for p1
        List<AdamW.Param> other = new ArrayList<>(copyOf(ps));
        other.set(1, new AdamW.Param("p1", new float[10], new float[10], true));
        AdamW b = newOpt(other);
        UserError e = assertThrows(UserError.class, () -> b.load(state));
        assertTrue(e.getMessage().contains(state.toString()) && e.getMessage().contains("m.p1")
                && e.getMessage().contains("[10]"), e.getMessage());
        assertEquals(0, b.stepCount());

        // a param the file does not have
        List<AdamW.Param> renamed = new ArrayList<>(copyOf(ps));
        renamed.set(0, new AdamW.Param("q0", new float[3], new float[3], true));
        e = assertThrows(UserError.class, () -> newOpt(renamed).load(state));
        assertTrue(e.getMessage().contains(state.toString()) && e.getMessage().contains("p0"), e.getMessage());

        // fewer params than the file
        e = assertThrows(UserError.class, () -> newOpt(copyOf(ps).subList(0, 2)).load(state));
        assertTrue(e.getMessage().contains("p2"), e.getMessage());

        // some other safetensors file
        Path weights = tmp.resolve("model.safetensors");
        new SafeTensorsWriter().add("x", new long[] {2}, new float[] {1, 2}).write(weights);
        e = assertThrows(UserError.class, () -> newOpt(copyOf(ps)).load(weights));
        assertTrue(e.getMessage().contains(weights.toString()) && e.getMessage().contains("format"), e.getMessage());
    }

    @Test
    void stateBeforeAnyStepRoundTrips() {
        List<AdamW.Param> ps = randomParams(2);
        Path state = tmp.resolve("zero.safetensors");
        newOpt(ps).save(state);
        AdamW b = newOpt(copyOf(ps));
        b.load(state);
        assertEquals(0, b.stepCount());
        try (SafeTensors st = SafeTensors.open(state)) {
            assertEquals(6, st.entries().size());
            assertEquals("0", st.metadata().get("step"));
        }
    }
}
