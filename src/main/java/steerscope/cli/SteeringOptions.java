package steerscope.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import steerscope.model.ModelConfig;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.VectorPositions;
import steerscope.steer.VectorFiles;
import steerscope.util.UserError;

/** The steering flags every model command takes. */
final class SteeringOptions {
    @Option(names = "--vectors", paramLabel = "FILE", description = "Steering vectors (steerscope safetensors or llama.cpp GGUF, told apart by content).")
    Path vectors;

    @Option(names = "--vector-scale", paramLabel = "S", defaultValue = "1.0", description = "Multiplies every vector (default: ${DEFAULT-VALUE}).")
    float scale;

    @Option(names = "--vector-positions", paramLabel = "WHERE", defaultValue = "all",
            description = "all | generated | first | prompt (default: ${DEFAULT-VALUE}). 'first' is the position whose logits give the first generated token.")
    String positions;

    @Option(names = "--vector-layers", paramLabel = "LIST", split = ",", description = "Only these layers' vectors (comma-separated, e.g. 22,23).")
    int[] layers;

    /** The steering these flags describe for a model of this shape, or null without --vectors. */
    Steering resolve(ModelConfig c) {
        if (vectors == null) {
            if (layers != null) throw new UserError("--vector-layers needs --vectors");
            return null;
        }
        SteeringVectors v = VectorFiles.read(vectors, c.nLayers(), c.hiddenSize());
        boolean[] enabled = null;
        if (layers != null) {
            enabled = new boolean[c.nLayers()];
            for (int l : layers) {
                if (l < 0 || l >= c.nLayers()) throw new UserError("--vector-layers: layer " + l + " is out of range 0.." + (c.nLayers() - 1));
                if (!v.has(l)) throw new UserError("--vector-layers: " + vectors + " has no vector for layer " + l);
                enabled[l] = true;
            }
        }
        return new Steering(v, scale, VectorPositions.parse(positions), enabled);
    }
}
