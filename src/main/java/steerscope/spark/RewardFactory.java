package steerscope.spark;

import java.io.Serializable;
import steerscope.rl.reward.Reward;

/** Builds the rewards on an executor (rewards are not serializable; a factory of them is, e.g. a lambda of flags). */
@FunctionalInterface
public interface RewardFactory extends Serializable {
    /** The reward that is optimised and the correctness that is reported as accuracy. */
    record Rewards(Reward reward, Reward correctness) {}

    Rewards create();
}
