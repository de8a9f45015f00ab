package steerscope.spark;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import steerscope.analysis.AnalysisResult;
import steerscope.analysis.Setup;
import steerscope.model.ModelConfig;
import steerscope.model.Steering;
import steerscope.rl.Evaluator;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.StepMetrics;
import steerscope.rl.Trainer;
import steerscope.task.Problem;
import steerscope.util.UserError;

/**
 * What {@code train --spark}, {@code eval --spark} and {@code analyze --spark} call. Only steerscope and JDK types in the signatures,
 * so the commands link without Spark; this class (and Spark with it) loads only when --spark is given.
 */
public final class SparkCommands {
    private SparkCommands() {}

    /**
     * What Spark training refuses: full fine-tuning (its gradient is the size of the model, not a few kilobytes) and
     * inner epochs (they reuse a step's rollouts and log-probabilities, which stay on the executors).
     */
    public static void refuseUnsupported(RlConfig cfg, Path modelDir) {
        if (cfg.full()) {
            long params = ModelConfig.load(modelDir).parameterCount();
            throw new UserError(String.format(Locale.ROOT,
                    "--spark trains steering vectors only (--params vectors): with --params full every executor would send "
                            + "a gradient of %,d parameters x 4 bytes = %,d bytes every step; run full fine-tuning without --spark",
                    params, params * 4));
        }
        if (cfg.innerEpochs() > 1) {
            throw new UserError("--spark computes each step's gradient once, on the executors; --inner-epochs " + cfg.innerEpochs()
                    + " reuses a step's rollouts on one machine: give --inner-epochs 1 or run without --spark");
        }
    }

    /** Runs the trainer with each step's rollouts and gradients computed on Spark. */
    public static List<StepMetrics> train(SparkTarget master, Trainer trainer, Policy policy, RlConfig cfg, ModelSpec model,
                                                  RewardFactory rewards, boolean resume) {
        if (policy.full()) throw new IllegalArgumentException("Spark trains steering vectors only");
        try (JavaSparkContext sc = SparkContexts.start(master, "steerscope train", Map.of())) {
            trainer.setStepFunction(new SparkStep(sc, model, rewards, cfg, policy.vectors, policy.model.config, 0));
            return trainer.run(resume);
        }
    }

    public static AnalysisResult analyze(SparkTarget master, ModelSpec model, Setup driver,
                                                             List<Problem> problems, Path outDir) {
        // pass-1 results carry vocabulary-sized sums (docs/spark.md): lift Spark's 1 GB cap on all results together,
        // unless set; the driver merges each result as it arrives, so it holds only a few at a time
        Map<String, String> settings = System.getProperty("spark.driver.maxResultSize") == null ? Map.of("spark.driver.maxResultSize", "0") : Map.of();
        try (JavaSparkContext sc = SparkContexts.start(master, "steerscope analyze", settings)) {
            return SparkAnalysis.run(sc, model, driver, problems, outDir, 0);
        }
    }

    public static Evaluator.Result eval(SparkTarget master, ModelSpec model, List<Problem> problems, Steering steering, Evaluator.Options opt) {
        try (JavaSparkContext sc = SparkContexts.start(master, "steerscope eval", Map.of())) {
            return SparkEval.evaluate(sc, model, problems, steering, opt, 0);
        }
    }
}
