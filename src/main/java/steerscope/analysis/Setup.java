package steerscope.analysis;

import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.Transformer;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/**
 * What every share of an analysis works with: the model, how problems become prompts, the vectors, the
 * options, and what follows from them alone (the steering, the vocabulary, the lens, the tracked tokens).
 * Built the same way on the driver and on each Spark executor, from that machine's copy of the model.
 */
public final class Setup {
    final Model model;
    final Transformer tf;
    final Tokenizer tokenizer;
    final Prompts prompts;
    final SteeringVectors vectors;
    final Analysis.Options opt;
    /** Every vector at every position, scale 1. */
    final Steering all;
    final Vocab vocab;
    final Lens lens;
    /** The lens of the last layer's vector, and its top {@link Analysis#TRACKED} tokens. */
    final float[] lastLens;
    final int[] tracked;

    public Setup(Model model, Tokenizer tokenizer, Prompts prompts, SteeringVectors vectors, Analysis.Options opt) {
        if (vectors.nLayers() != model.config.nLayers() || vectors.dModel() != model.config.hiddenSize()) {
            throw new UserError("vectors are for n_layers=" + vectors.nLayers() + ", d_model=" + vectors.dModel() + "; the model has n_layers="
                    + model.config.nLayers() + ", d_model=" + model.config.hiddenSize());
        }
        if (vectors.layers().length == 0) throw new UserError("the vectors file has no vector on any layer: nothing to analyse");
        this.model = model;
        this.tf = model.transformer;
        this.tokenizer = tokenizer;
        this.prompts = prompts;
        this.vectors = vectors;
        this.opt = opt;
        this.all = Steering.of(vectors);
        this.vocab = new Vocab(tokenizer, model.config.vocabSize());
        this.lens = new Lens(model.weights);
        int[] layers = vectors.layers();
        this.lastLens = lens.ofDirection(vectors.get(layers[layers.length - 1]));
        this.tracked = vocab.top(lastLens, 0, Analysis.TRACKED, true);
    }

    public Analysis.Options options() {
        return opt;
    }

    public SteeringVectors vectors() {
        return vectors;
    }

    int[] encode(Problem p) {
        return prompts.encode(p);
    }

    /** The forward-only analyses read the problems whose index (in the whole set) is below this. */
    int forwardLimit() {
        return Math.max(1, opt.forwardPrompts());
    }
}
