package steerscope.spark;

import java.io.Serializable;
import steerscope.model.Gradients;
import steerscope.rl.RolloutStep;

/**
 * What an executor sends back for its share of a step: the summed (unnormalised) gradient w.r.t. each layer's
 * vector, the share's normaliser and metric sums. Shards add up to the step's {@link RolloutStep.Contribution}.
 * Gradients are summed in double, so the order in which Spark merges shards changes nothing visible in float.
 */
final class GradientShard implements Serializable {
    final double[][] vectors; // [layer][d_model]; null for layers without a vector
    double normalizer, rewardSum, advantageAbsSum, klSum, lossSum;
    long sequences, correct, completionTokens, groups, zeroAdvantageGroups, activationBytes; // activationBytes: max

    GradientShard(boolean[] hasVector, int dModel) {
        vectors = new double[hasVector.length][];
        for (int l = 0; l < hasVector.length; l++) if (hasVector[l]) vectors[l] = new double[dModel];
    }

    static GradientShard of(RolloutStep.Contribution c, boolean[] hasVector) {
        GradientShard s = new GradientShard(hasVector, c.grads.vectors[0].length);
        for (int l = 0; l < s.vectors.length; l++) {
            if (s.vectors[l] == null) continue;
            float[] g = c.grads.vectors[l];
            for (int i = 0; i < g.length; i++) s.vectors[l][i] = g[i];
        }
        s.normalizer = c.normalizer;
        s.rewardSum = c.rewardSum;
        s.advantageAbsSum = c.advantageAbsSum;
        s.klSum = c.klSum;
        s.lossSum = c.lossSum;
        s.sequences = c.sequences;
        s.correct = c.correct;
        s.completionTokens = c.completionTokens;
        s.groups = c.groups;
        s.zeroAdvantageGroups = c.zeroAdvantageGroups;
        s.activationBytes = c.activationBytes;
        return s;
    }

    /** Adds another shard into this one and returns this (Spark's aggregate allows updating the left side). */
    GradientShard add(GradientShard o) {
        for (int l = 0; l < vectors.length; l++) {
            if (vectors[l] == null) continue;
            double[] a = vectors[l], b = o.vectors[l];
            for (int i = 0; i < a.length; i++) a[i] += b[i];
        }
        normalizer += o.normalizer;
        rewardSum += o.rewardSum;
        advantageAbsSum += o.advantageAbsSum;
        klSum += o.klSum;
        lossSum += o.lossSum;
        sequences += o.sequences;
        correct += o.correct;
        completionTokens += o.completionTokens;
        groups += o.groups;
        zeroAdvantageGroups += o.zeroAdvantageGroups;
        activationBytes = Math.max(activationBytes, o.activationBytes);
        return this;
    }

    /** The step's contribution, its gradient written into {@code into}. */
    RolloutStep.Contribution toContribution(Gradients into) {
        RolloutStep.Contribution c = new RolloutStep.Contribution(into);
        for (int l = 0; l < vectors.length; l++) {
            if (vectors[l] == null) continue;
            float[] g = c.grads.vectors[l];
            for (int i = 0; i < g.length; i++) g[i] = (float) vectors[l][i];
        }
        c.normalizer = normalizer;
        c.rewardSum = rewardSum;
        c.advantageAbsSum = advantageAbsSum;
        c.klSum = klSum;
        c.lossSum = lossSum;
        c.sequences = sequences;
        c.correct = correct;
        c.completionTokens = completionTokens;
        c.groups = groups;
        c.zeroAdvantageGroups = zeroAdvantageGroups;
        c.activationBytes = activationBytes;
        return c;
    }
}
