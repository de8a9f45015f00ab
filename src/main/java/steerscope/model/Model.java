package steerscope.model;

import java.nio.file.Files;
import java.nio.file.Path;
import steerscope.util.UserError;

/** A loaded checkpoint directory: its config, its (memory-mapped) weights, and the decoder over them. */
public final class Model implements AutoCloseable {
    public final Path dir;
    public final ModelConfig config;
    public final ModelWeights weights;
    public final Transformer transformer;

    public Model(Path dir, ModelConfig config, ModelWeights weights) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.transformer = new Transformer(config, weights);
    }

    public static Model load(Path dir) {
        if (!Files.isDirectory(dir)) throw UserError.inFile(dir, "model directory not found");
        ModelConfig config = ModelConfig.load(dir);
        return new Model(dir, config, ModelWeights.load(dir, config));
    }

    /** The same model over other weights (e.g. a trainable F32 copy), sharing config and directory. */
    public Model withWeights(ModelWeights w) {
        return new Model(dir, config, w);
    }

    @Override
    public void close() {
        weights.close();
    }
}
