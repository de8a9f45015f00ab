package steerscope.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import steerscope.io.Json;

/** The oracle's batch.json, as Java arrays. */
final class OracleBatch {
    final int B, T;
    final int[][] ids;
    final boolean[][] mask;
    final int[] promptLengths;
    final float[][] lossWeights, klWeights, refLogprobs, vectorMask;
    final float klCoef;
    final Steering steering;

    OracleBatch(Path dir, ModelConfig c) {
        JsonNode j = Json.read(dir.resolve("batch.json"));
        JsonNode idsN = j.get("input_ids");
        B = idsN.size();
        T = idsN.get(0).size();
        ids = new int[B][T];
        mask = new boolean[B][T];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                ids[b][t] = idsN.get(b).get(t).asInt();
                mask[b][t] = j.get("attention_mask").get(b).get(t).asInt() == 1;
            }
        }
        promptLengths = new int[B];
        for (int b = 0; b < B; b++) promptLengths[b] = j.get("prompt_lengths").get(b).asInt();
        lossWeights = floats2(j.get("loss_weights"));
        klWeights = floats2(j.get("kl_weights"));
        refLogprobs = floats2(j.get("ref_logprobs"));
        vectorMask = floats2(j.get("vector_mask"));
        klCoef = (float) j.get("kl_coef").asDouble();
        SteeringVectors v = new SteeringVectors(c.nLayers(), c.hiddenSize());
        float[][] all = floats2(j.get("vectors"));
        for (JsonNode l : j.get("vector_layers")) v.set(l.asInt(), all[l.asInt()]);
        steering = new Steering(v, (float) j.get("vector_scale").asDouble(),
                VectorPositions.parse(j.get("vector_positions").asText()), null);
    }

    private static float[][] floats2(JsonNode n) {
        float[][] out = new float[n.size()][];
        for (int i = 0; i < n.size(); i++) {
            out[i] = new float[n.get(i).size()];
            for (int k = 0; k < out[i].length; k++) out[i][k] = (float) n.get(i).get(k).asDouble();
        }
        return out;
    }

    /** The batch as the decoder takes it (rows right-padded as the oracle wrote them). */
    TokenBatch tokens() {
        int[] flatIds = new int[B * T];
        boolean[] flatMask = new boolean[B * T];
        for (int b = 0; b < B; b++) {
            System.arraycopy(ids[b], 0, flatIds, b * T, T);
            System.arraycopy(mask[b], 0, flatMask, b * T, T);
        }
        return TokenBatch.of(B, T, flatIds, flatMask, promptLengths);
    }
}
