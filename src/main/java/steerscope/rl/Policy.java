package steerscope.rl;

import steerscope.model.AdaptiveScale;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;

/**
 * What is being trained and how to use it: the frozen base model, the model the policy runs (the base itself
 * when training vectors, an F32 trainable copy when fine-tuning every weight), the vectors (vectors mode
 * only), and the tokenizer and prompt encoding shared by rollouts and evaluation.
 */
public final class Policy {
    public final Model base;
    public final Model model;
    public final SteeringVectors vectors;
    /** The vectors' token-wise scale, trained with them (experiment adaptive); null for plain vectors. */
    public final AdaptiveScale adaptive;
    public final Tokenizer tokenizer;
    public final Prompts prompts;

    private Policy(Model base, Model model, SteeringVectors vectors, AdaptiveScale adaptive, Tokenizer tokenizer, Prompts prompts) {
        this.base = base;
        this.model = model;
        this.vectors = vectors;
        this.adaptive = adaptive;
        this.tokenizer = tokenizer;
        this.prompts = prompts;
    }

    public static Policy ofVectors(Model base, SteeringVectors vectors, Tokenizer tokenizer, Prompts prompts) {
        return new Policy(base, base, vectors, null, tokenizer, prompts);
    }

    /** Vectors scaled token-wise by s(h) = a·h + b, both trained. */
    public static Policy ofAdaptive(Model base, SteeringVectors vectors, AdaptiveScale adaptive, Tokenizer tokenizer, Prompts prompts) {
        return new Policy(base, base, vectors, adaptive, tokenizer, prompts);
    }

    public static Policy ofFullWeights(Model base, Model trainable, Tokenizer tokenizer, Prompts prompts) {
        return new Policy(base, trainable, null, null, tokenizer, prompts);
    }

    public boolean full() {
        return vectors == null;
    }

    /** The steering applied by the policy: every layer with a vector, every position (the paper's recipe). */
    public Steering steering() {
        return vectors == null ? null : Steering.of(vectors).withAdaptive(adaptive);
    }
}
