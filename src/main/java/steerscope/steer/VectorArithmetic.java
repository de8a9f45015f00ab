package steerscope.steer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import steerscope.model.SteeringVectors;
import steerscope.util.UserError;

/**
 * Weighted sums of steering-vector sets: out_l = Σ_i w_i · v_i,l over the layers any input has (a layer an
 * input lacks counts as zero there), optionally restricted to some layers. The inputs must have the same
 * n_layers and d_model; the result is a plain vector set, written and exported like any other.
 */
public final class VectorArithmetic {
    private VectorArithmetic() {}

    /**
     * @param files where each input came from (named in errors and in the result's provenance)
     * @param layers the layers kept (null: every layer some input has); a kept layer no input has is an error
     */
    public static SteeringVectors combine(List<SteeringVectors> inputs, List<Path> files, double[] weights, int[] layers) {
        if (inputs.isEmpty()) throw new UserError("nothing to combine: give at least one vector file");
        if (weights.length != inputs.size()) {
            throw new UserError("--weights has " + weights.length + " values for " + inputs.size() + " vector files (one weight per file)");
        }
        SteeringVectors first = inputs.get(0);
        for (int i = 1; i < inputs.size(); i++) {
            SteeringVectors v = inputs.get(i);
            String field = v.nLayers() != first.nLayers() ? "n_layers" : v.dModel() != first.dModel() ? "d_model" : null;
            if (field != null) {
                throw new UserError(files.get(i) + ": " + field + " is " + (field.equals("n_layers") ? v.nLayers() : v.dModel()) + " but "
                        + files.get(0) + " has " + field + " " + (field.equals("n_layers") ? first.nLayers() : first.dModel())
                        + " (vectors can only be combined for models of the same shape)");
            }
        }
        TreeSet<Integer> present = new TreeSet<>();
        for (SteeringVectors v : inputs) for (int l : v.layers()) present.add(l);
        int[] keep = layers == null ? present.stream().mapToInt(Integer::intValue).toArray() : layers;
        for (int l : keep) {
            if (!present.contains(l)) {
                throw new UserError("--layers: no input has a vector on layer " + l + " (the inputs have layers " + present + ")");
            }
        }
        int d = first.dModel();
        SteeringVectors out = SteeringVectors.zeros(first.nLayers(), d, keep);
        for (int l : keep) {
            float[] o = out.get(l);
            double[] acc = new double[d];
            for (int i = 0; i < inputs.size(); i++) {
                float[] v = inputs.get(i).get(l);
                if (v == null) continue;
                for (int j = 0; j < d; j++) acc[j] += weights[i] * v[j];
            }
            for (int j = 0; j < d; j++) o[j] = (float) acc[j];
        }
        StringBuilder how = new StringBuilder();
        for (int i = 0; i < inputs.size(); i++) {
            if (i > 0) how.append(" + ");
            how.append(String.format(Locale.ROOT, "%s * %s", weights[i], files.get(i)));
        }
        if (layers != null) how.append(" on layers ").append(Arrays.toString(keep));
        // provenance the inputs agree on (the base model, the hook) carries over; the rest would be misleading
        first.metadata().forEach((k, val) -> {
            boolean same = inputs.stream().allMatch(v -> val.equals(v.metadata().get(k)));
            if (same && (k.equals("base_model") || k.equals("model_hash") || k.equals("model_type"))) out.metadata().put(k, val);
        });
        out.metadata().put("combined", how.toString());
        return out;
    }
}
