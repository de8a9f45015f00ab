package steerscope.steer;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.model.ModelWeights;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.tensor.DType;
import steerscope.util.UserError;

/**
 * Steering vectors as the paper's authors store them: the bias of each layer's {@code mlp.down_proj}, named
 * {@code model.layers.{l}.mlp.down_proj.bias}. The bias is added to the MLP output, which is added to the residual
 * stream, so it is exactly a vector at {@code hook_resid_post} on every position, at scale 1.
 */
public final class DownProjBias {
    private static final Pattern NAME = Pattern.compile("model\\.layers\\.(0|[1-9][0-9]{0,8})\\.mlp\\.down_proj\\.bias");

    private DownProjBias() {}

    public static String tensorName(int layer) {
        return "model.layers." + layer + ".mlp.down_proj.bias";
    }

    /** The biases a loaded checkpoint carries (possibly none). */
    public static SteeringVectors of(ModelWeights w) {
        SteeringVectors v = new SteeringVectors(w.config.nLayers(), w.config.hiddenSize());
        for (int l : w.downProjBiasLayers()) v.set(l, w.layers[l].bDown.clone());
        return v;
    }

    /**
     * The biases in one safetensors file (a checkpoint shard, or a file of biases alone), for a model of
     * {@code nLayers} layers; a file without any is a {@link UserError}.
     */
    public static SteeringVectors readFile(Path file, int nLayers) {
        try (SafeTensors st = SafeTensors.open(file)) {
            SteeringVectors v = null;
            for (SafeTensors.Entry e : st.entries().values()) {
                Matcher m = NAME.matcher(e.name());
                if (!m.matches()) continue;
                int layer = Integer.parseInt(m.group(1));
                if (layer >= nLayers) throw UserError.inFile(file, "tensor '" + e.name() + "': layer " + layer + " is out of range (n_layers = " + nLayers + ")");
                if (e.shape().length != 1 || e.shape()[0] < 1) throw UserError.inFile(file, "tensor '" + e.name() + "' is " + e.shapeString() + ", expected [d_model]");
                if (v == null) v = new SteeringVectors(nLayers, (int) e.shape()[0]);
                if (e.shape()[0] != v.dModel()) {
                    throw UserError.inFile(file, "tensor '" + e.name() + "' is " + e.shapeString() + ", expected [" + v.dModel() + "] like the others");
                }
                v.set(layer, st.floats(e.name()));
            }
            if (v == null) throw UserError.inFile(file, "no tensor named model.layers.N.mlp.down_proj.bias (expected the paper's steering vectors)");
            return v;
        }
    }

    /** Writes each vector as {@code model.layers.{l}.mlp.down_proj.bias} (F32), for {@code load_state_dict(strict=False)}. */
    public static void write(SteeringVectors v, Path file, Map<String, String> metadata) {
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "pt").metadata(metadata);
        for (int l : v.layers()) w.add(tensorName(l), DType.F32, new long[] {v.dModel()}, v.get(l));
        w.write(file);
    }
}
