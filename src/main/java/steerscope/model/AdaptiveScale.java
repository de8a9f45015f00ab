package steerscope.model;

import java.nio.file.Path;
import java.util.Arrays;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.tensor.Kernels;
import steerscope.util.UserError;

/**
 * The paper's adaptive (rank-1) variant of the steering vectors: at each token the vector of layer l is added as
 * s_l(h)·v_l with s_l(h) = a_l·h + b_l, read from the residual h at that position before the add. a_l is a
 * d_model vector per layer, b_l a scalar; a = 0, b = 1 is exactly the plain vector. Mutable in place: the trainer
 * updates a and b between steps (b is one array over the layers, so one optimizer parameter holds every b_l).
 */
public final class AdaptiveScale {
    /** The file a training run writes next to its vectors: tensors "a" [L, d] and "b" [L]. */
    public static final String FILE = "adaptive_scale.safetensors";

    public final float[][] a; // [L][d]
    public final float[] b;   // [L]

    private AdaptiveScale(float[][] a, float[] b) {
        this.a = a;
        this.b = b;
    }

    /** a = 0, b = 1 on every layer: training starts from the plain vectors. */
    public static AdaptiveScale identity(int nLayers, int dModel) {
        float[] b = new float[nLayers];
        Arrays.fill(b, 1f);
        return new AdaptiveScale(new float[nLayers][dModel], b);
    }

    public void write(Path file) {
        int L = b.length, d = a[0].length;
        float[] flat = new float[L * d];
        for (int l = 0; l < L; l++) System.arraycopy(a[l], 0, flat, l * d, d);
        SafeTensorsWriter w = new SafeTensorsWriter();
        w.add("a", new long[] {L, d}, flat);
        w.add("b", new long[] {L}, b);
        w.write(file);
    }

    public static AdaptiveScale read(Path file, int nLayers, int dModel) {
        try (SafeTensors st = SafeTensors.open(file)) {
            float[] flat = st.floats("a"), b = st.floats("b");
            if (flat.length != nLayers * dModel || b.length != nLayers) {
                throw UserError.inFile(file, "tensors a and b must have " + nLayers + " x " + dModel + " and " + nLayers
                        + " values for this model, found " + flat.length + " and " + b.length);
            }
            AdaptiveScale s = identity(nLayers, dModel);
            for (int l = 0; l < nLayers; l++) System.arraycopy(flat, l * dModel, s.a[l], 0, dModel);
            System.arraycopy(b, 0, s.b, 0, nLayers);
            return s;
        }
    }

    /** s_l(h) for the residual row h[off, off + d). */
    public float at(int layer, float[] h, int off) {
        return Kernels.dot(a[layer], 0, h, off, a[layer].length) + b[layer];
    }
}
