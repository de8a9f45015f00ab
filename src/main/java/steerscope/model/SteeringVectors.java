package steerscope.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One additive vector of size d_model per decoder layer, added to {@code blocks.{l}.hook_resid_post}
 * (the output of block l). A layer without a vector holds null. Vectors are F32 and mutable in place:
 * the trainer updates them between steps.
 */
public final class SteeringVectors {
    /** The hook point every steerscope vector is added at. */
    public static final String HOOK = HookNames.RESID_POST;

    private final int nLayers;
    private final int dModel;
    private final float[][] vectors;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SteeringVectors(int nLayers, int dModel) {
        this.nLayers = nLayers;
        this.dModel = dModel;
        this.vectors = new float[nLayers][];
    }

    /** Zero vectors on the given layers (all layers when {@code layers} is null): the start of training. */
    public static SteeringVectors zeros(int nLayers, int dModel, int[] layers) {
        SteeringVectors v = new SteeringVectors(nLayers, dModel);
        if (layers == null) {
            for (int l = 0; l < nLayers; l++) v.vectors[l] = new float[dModel];
        } else {
            for (int l : layers) v.vectors[l] = new float[dModel];
        }
        return v;
    }

    public int nLayers() {
        return nLayers;
    }

    public int dModel() {
        return dModel;
    }

    public boolean has(int layer) {
        return vectors[layer] != null;
    }

    /** The vector of a layer (live, not a copy), or null. */
    public float[] get(int layer) {
        return vectors[layer];
    }

    public void set(int layer, float[] v) {
        if (v != null && v.length != dModel) {
            throw new IllegalArgumentException("layer " + layer + ": vector of " + v.length + " values, expected d_model = " + dModel);
        }
        vectors[layer] = v;
    }

    public int[] layers() {
        int n = 0;
        for (float[] v : vectors) if (v != null) n++;
        int[] out = new int[n];
        for (int l = 0, i = 0; l < nLayers; l++) if (vectors[l] != null) out[i++] = l;
        return out;
    }

    public double norm(int layer) {
        float[] v = vectors[layer];
        if (v == null) return 0;
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s);
    }

    /** Free-form provenance: base model name and hash, hook point, training configuration. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public int parameterCount() {
        return layers().length * dModel;
    }

    public SteeringVectors copy() {
        SteeringVectors c = new SteeringVectors(nLayers, dModel);
        for (int l = 0; l < nLayers; l++) c.vectors[l] = vectors[l] == null ? null : vectors[l].clone();
        c.metadata.putAll(metadata);
        return c;
    }

    @Override
    public String toString() {
        return "SteeringVectors[" + nLayers + " layers x " + dModel + ", on " + Arrays.toString(layers()) + "]";
    }
}
