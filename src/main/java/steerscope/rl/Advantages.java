package steerscope.rl;

/**
 * Advantages of G completions of one prompt from their rewards. RLOO: the reward minus the mean of the
 * other G−1 (a leave-one-out baseline, unbiased). GRPO: the reward minus the group mean, divided by the
 * group's standard deviation (+1e-4, as TRL) when scaleByStd. A group whose rewards are all equal gets zeros.
 */
public final class Advantages {
    private Advantages() {}

    public static double[] compute(RlConfig.Algo algo, double[] rewards, boolean scaleByStd) {
        int G = rewards.length;
        double sum = 0;
        for (double r : rewards) sum += r;
        double mean = sum / G;
        double[] adv = new double[G];
        if (algo == RlConfig.Algo.RLOO) {
            for (int i = 0; i < G; i++) adv[i] = rewards[i] - (sum - rewards[i]) / (G - 1);
        } else {
            for (int i = 0; i < G; i++) adv[i] = rewards[i] - mean;
        }
        if (scaleByStd) {
            double var = 0;
            for (double r : rewards) var += (r - mean) * (r - mean);
            double std = Math.sqrt(var / (G - 1)); // torch.std is the unbiased estimate
            for (int i = 0; i < G; i++) adv[i] /= std + 1e-4;
        }
        return adv;
    }

    public static boolean allEqual(double[] rewards) {
        for (double r : rewards) if (r != rewards[0]) return false;
        return true;
    }
}
