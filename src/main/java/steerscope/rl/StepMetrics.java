package steerscope.rl;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Map;

/**
 * One line of a run's metrics.jsonl. A skipped step (non-finite numbers) has {@code skipped} and NaN reward,
 * accuracy and length, and none of the optional fields; {@code vectorNorms} is absent in full fine-tuning.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StepMetrics(
        int step,
        String skipped,
        double rewardMean,
        double accuracy,
        Double advantageAbsMean,
        Long zeroAdvantageGroups,
        Long groups,
        Double kl,
        Double loss,
        double responseLength,
        Double gradNorm,
        Double lr,
        Map<String, Double> vectorNorms, // by layer
        Double activationMb,
        Double tokensPerS,
        Double stepSeconds) {

    static StepMetrics skipped(int step, String why) {
        return new StepMetrics(step, why, Double.NaN, Double.NaN, null, null, null, null, null, Double.NaN, null, null, null, null, null, null);
    }
}
