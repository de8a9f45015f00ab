package steerscope.rl.optim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.tensor.DType;
import steerscope.tensor.Parallel;
import steerscope.util.UserError;

/**
 * AdamW with decoupled weight decay, step for step as torch 1.13's {@code _single_tensor_adamw} (no amsgrad, no
 * maximize), in float32 with torch's order of operations:
 * <pre>
 *   step += 1
 *   p *= 1 - lr * wd                                   (only for params with decay)
 *   m  = m * b1 + (1 - b1) * g
 *   v  = v * b2 + (1 - b2) * g * g
 *   denom = sqrt(v) / sqrt(1 - b2^step) + eps
 *   p += (-lr / (1 - b1^step)) * m / denom
 * </pre>
 * Scalars are computed in double (as Python floats) and rounded to float once, as torch does. Every op is
 * lanewise and unfused, so the result does not depend on the vector width, the JIT or the thread count, and a
 * run saved and resumed with {@link #save}/{@link #load} is bit-identical to an uninterrupted one.
 */
public final class AdamW {
    /** One trainable tensor, flattened: its values and gradient (same length), updated in place. */
    public record Param(String name, float[] value, float[] grad, boolean decay) {
        public Param {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("param name must not be empty");
            if (value.length != grad.length) {
                throw new IllegalArgumentException(name + ": " + value.length + " values but " + grad.length + " gradients");
            }
        }
    }

    static final String FORMAT = "steerscope.adamw";
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Elements per parallel task: big enough that small params (norms, biases, vectors) run inline. */
    private static final int GRAIN = 1 << 15;

    private final List<Param> params;
    private final float[][] m, v;
    private final double beta1, beta2, eps, weightDecay;
    private int step;

    public AdamW(List<Param> params, double beta1, double beta2, double eps, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1)) throw new UserError("AdamW beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new UserError("AdamW beta2 must be in [0, 1), got " + beta2);
        if (!(eps >= 0) || Double.isInfinite(eps)) throw new UserError("AdamW eps must be a finite number >= 0, got " + eps);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new UserError("AdamW weight decay must be a finite number >= 0, got " + weightDecay);
        }
        Set<String> names = new HashSet<>();
        for (Param p : params) {
            if (!names.add(p.name())) throw new IllegalArgumentException("duplicate param name " + p.name());
        }
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new float[this.params.size()][];
        this.v = new float[this.params.size()][];
        for (int i = 0; i < this.params.size(); i++) {
            m[i] = new float[this.params.get(i).value().length];
            v[i] = new float[this.params.get(i).value().length];
        }
    }

    public List<Param> params() {
        return params;
    }

    /** Number of steps taken so far (restored by {@link #load}). */
    public int stepCount() {
        return step;
    }

    /** One update of every param from its current gradient, at learning rate {@code lr} (from the schedule). */
    public void step(double lr) {
        checkLr(lr);
        step++;
        double bc1 = 1 - StrictMath.pow(beta1, step);
        double bc2 = 1 - StrictMath.pow(beta2, step);
        Scalars s = new Scalars(
                (float) (1 - lr * weightDecay),
                (float) beta1, (float) (1 - beta1),
                (float) beta2, (float) (1 - beta2),
                (float) Math.sqrt(bc2), (float) eps,
                (float) -(lr / bc1));
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            float[] pm = m[i], pv = v[i];
            boolean decay = p.decay() && weightDecay != 0;
            Parallel.forRange(p.value().length, GRAIN, (from, to) -> update(p.value(), p.grad(), pm, pv, from, to, decay, s));
        }
    }

    private record Scalars(float decayMul, float b1, float omb1, float b2, float omb2, float bc2Sqrt, float eps, float negStepSize) {}

    private static void update(float[] p, float[] g, float[] m, float[] v, int from, int to, boolean decay, Scalars s) {
        int i = from;
        int upper = from + SPECIES.loopBound(to - from);
        for (; i < upper; i += SPECIES.length()) {
            FloatVector gv = FloatVector.fromArray(SPECIES, g, i);
            FloatVector pv = FloatVector.fromArray(SPECIES, p, i);
            if (decay) pv = pv.mul(s.decayMul);
            FloatVector mv = FloatVector.fromArray(SPECIES, m, i).mul(s.b1).add(gv.mul(s.omb1));
            FloatVector vv = FloatVector.fromArray(SPECIES, v, i).mul(s.b2).add(gv.mul(s.omb2).mul(gv));
            FloatVector denom = vv.sqrt().div(s.bc2Sqrt).add(s.eps);
            pv = pv.add(mv.mul(s.negStepSize).div(denom));
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            pv.intoArray(p, i);
        }
        // the same ops, element by element, for the tail
        for (; i < to; i++) {
            float gi = g[i];
            float pi = p[i];
            if (decay) pi = pi * s.decayMul;
            float mi = m[i] * s.b1 + gi * s.omb1;
            float vi = v[i] * s.b2 + gi * s.omb2 * gi;
            float denom = (float) Math.sqrt(vi) / s.bc2Sqrt + s.eps;
            pi = pi + mi * s.negStepSize / denom;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi;
        }
    }

    private static void checkLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new UserError("learning rate must be a finite number >= 0, got " + lr);
    }

    /**
     * Writes the state (step count in metadata, tensors {@code m.<param>} and {@code v.<param>}, F32, 1-D)
     * atomically. The hyperparameters are recorded in the metadata for the reader; {@link #load} does not use them.
     */
    public void save(Path file) {
        SafeTensorsWriter w = new SafeTensorsWriter()
                .metadata("format", FORMAT)
                .metadata("step", Integer.toString(step))
                .metadata("beta1", Double.toString(beta1))
                .metadata("beta2", Double.toString(beta2))
                .metadata("eps", Double.toString(eps))
                .metadata("weight_decay", Double.toString(weightDecay));
        for (int i = 0; i < params.size(); i++) {
            String name = params.get(i).name();
            w.add("m." + name, new long[] {m[i].length}, m[i]);
            w.add("v." + name, new long[] {v[i].length}, v[i]);
        }
        w.write(file);
    }

    /**
     * Restores the state written by {@link #save}. The file must hold exactly {@code m.<p>} and {@code v.<p>} for
     * this optimizer's params, F32 with their lengths; on any mismatch nothing is changed and a UserError names
     * the file and the tensor.
     */
    public void load(Path file) {
        try (SafeTensors st = SafeTensors.open(file)) {
            Map<String, String> meta = st.metadata();
            if (!FORMAT.equals(meta.get("format"))) {
                throw UserError.inFile(file, "not an AdamW state: __metadata__.format is " + quoted(meta.get("format"))
                        + ", expected '" + FORMAT + "'");
            }
            int savedStep;
            try {
                savedStep = Integer.parseInt(meta.getOrDefault("step", ""));
            } catch (NumberFormatException e) {
                throw UserError.inFile(file, "__metadata__.step is " + quoted(meta.get("step")) + ", expected a non-negative integer");
            }
            if (savedStep < 0) throw UserError.inFile(file, "__metadata__.step is " + savedStep + ", expected a non-negative integer");

            Map<String, Integer> expected = new LinkedHashMap<>();
            for (Param p : params) {
                expected.put("m." + p.name(), p.value().length);
                expected.put("v." + p.name(), p.value().length);
            }
            List<String> extra = new ArrayList<>();
            for (String name : st.entries().keySet()) {
                if (!expected.containsKey(name)) extra.add(name);
            }
            if (!extra.isEmpty()) {
                throw UserError.inFile(file, "AdamW state has tensors for params this run does not train: " + extra);
            }
            for (Map.Entry<String, Integer> e : expected.entrySet()) {
                if (!st.has(e.getKey())) {
                    throw UserError.inFile(file, "AdamW state is missing tensor '" + e.getKey() + "' (saved for other params?)");
                }
                SafeTensors.Entry entry = st.entry(e.getKey());
                if (entry.dtype() != DType.F32 || entry.shape().length != 1 || entry.shape()[0] != e.getValue()) {
                    throw UserError.inFile(file, "tensor '" + e.getKey() + "' is " + entry.dtype() + " " + entry.shapeString()
                            + ", expected F32 [" + e.getValue() + "]");
                }
            }
            // all checked: now overwrite the state
            for (int i = 0; i < params.size(); i++) {
                String name = params.get(i).name();
                copy(st.segment("m." + name), m[i]);
                copy(st.segment("v." + name), v[i]);
            }
            step = savedStep;
        }
    }

    private static void copy(MemorySegment src, float[] dst) {
        MemorySegment.copy(src, FLOAT_LE, 0, dst, 0, dst.length);
    }

    private static String quoted(String s) {
        return s == null ? "missing" : "'" + s + "'";
    }
}
