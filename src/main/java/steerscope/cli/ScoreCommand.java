package steerscope.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.io.Json;
import steerscope.model.Steering;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;
import steerscope.util.UserError;

@Command(name = "score", description = "Log-probability of every token of a text given the ones before it.")
final class ScoreCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;
    @Option(names = "--text", required = true) String text;
    @Option(names = "--add-special-tokens", description = "Apply the tokenizer's post-processor (e.g. Llama 3's BOS).") boolean special;
    @Option(names = "--json", description = "Print {\"tokens\": [...], \"logprobs\": [...]} with full-precision floats.") boolean json;
    @Mixin SteeringOptions steeringOptions;

    @Override
    public Integer call() {
        Path model = modelOption.dir();
        try (ModelFiles m = ModelFiles.open(model)) {
            int[] ids = m.tokenizer.encode(text, special);
            if (ids.length == 0) throw new UserError("--text gives no tokens");
            int T = ids.length;
            if (T > m.model.config.maxPositionEmbeddings()) {
                throw new UserError("--text has " + T + " tokens, more than the model's " + m.model.config.maxPositionEmbeddings() + " positions");
            }
            Steering steering = steeringOptions.resolve(m.model.config);
            Transformer tf = m.model.transformer;
            int[] rows = new int[T - 1], next = new int[T - 1];
            for (int t = 1; t < T; t++) {
                rows[t - 1] = t - 1;
                next[t - 1] = ids[t];
            }
            float[] logprobs = tf.logprobs(tf.forward(TokenBatch.single(ids, T), steering, null, Transformer.Save.NONE), rows, next);
            double[] lp = new double[T - 1];
            for (int i = 0; i < lp.length; i++) lp[i] = logprobs[i];
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("tokens", ids);
                out.put("logprobs", lp);
                System.out.println(Json.write(out));
            } else {
                double sum = 0;
                for (int t = 1; t < T; t++) {
                    sum += lp[t - 1];
                    System.out.printf("%8d  %-20s %10.4f%n", ids[t], Json.write(m.tokenizer.decode(new int[] {ids[t]})), lp[t - 1]);
                }
                System.out.printf("total log-prob %.4f over %d tokens (perplexity %.3f)%n", sum, T - 1, StrictMath.exp(-sum / Math.max(1, T - 1)));
            }
        }
        return 0;
    }
}
