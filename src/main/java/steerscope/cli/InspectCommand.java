package steerscope.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import steerscope.model.ModelConfig;
import steerscope.tensor.Backend;

@Command(name = "inspect", description = "Architecture, parameter count, dtype and tokenizer of a checkpoint.")
final class InspectCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;

    @Override
    public Integer call() {
        Path model = modelOption.dir();
        try (ModelFiles m = ModelFiles.open(model)) {
            ModelConfig c = m.model.config;
            System.out.printf(Locale.ROOT, "model:        %s%n", model);
            System.out.printf(Locale.ROOT, "architecture: %s (%s)%n", c.architecture(), c.modelType());
            System.out.printf(Locale.ROOT, "parameters:   %,d (%.1f M)%n", c.parameterCount(), c.parameterCount() / 1e6);
            System.out.printf(Locale.ROOT, "dtype:        %s%n", m.model.weights.dtype());
            System.out.printf(Locale.ROOT, "layers:       %d, d_model %d, heads %d (kv %d, head_dim %d), ff %d%n", c.nLayers(), c.hiddenSize(),
                    c.nHeads(), c.nKvHeads(), c.headDim(), c.intermediateSize());
            System.out.printf(Locale.ROOT, "vocab:        %d, tied embeddings %b, attention bias %b%n", c.vocabSize(), c.tieWordEmbeddings(), c.attentionBias());
            System.out.printf(Locale.ROOT, "rope:         theta %.0f%s%n", c.ropeTheta(), c.ropeScaling() == null ? "" : ", llama3 scaling x" + c.ropeScaling().factor());
            System.out.printf(Locale.ROOT, "tokenizer:    %s%n", m.tokenizer.summary());
            System.out.printf(Locale.ROOT, "kernels:      %s%n", Backend.describe());
            System.out.printf(Locale.ROOT, "chat:         %s%n", m.chat == null ? "no chat template" : "chat template present");
            int[] biased = m.model.weights.downProjBiasLayers();
            if (biased.length > 0) {
                System.out.printf(Locale.ROOT, "vectors:      built in: mlp.down_proj.bias on layers %s, the paper's steering vectors; this loads as "
                        + "base + vectors (vectors import --from-checkpoint extracts them)%n", Arrays.toString(biased));
            }
            System.out.printf(Locale.ROOT, "steering:     %d vectors x %d = %,d trainable parameters (%.4f%% of the model)%n", c.nLayers(), c.hiddenSize(),
                    (long) c.nLayers() * c.hiddenSize(), 100.0 * c.nLayers() * c.hiddenSize() / c.parameterCount());
        }
        return 0;
    }
}
