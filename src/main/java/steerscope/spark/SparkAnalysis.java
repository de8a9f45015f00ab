package steerscope.spark;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import steerscope.analysis.Analysis;
import steerscope.analysis.AnalysisResult;
import steerscope.analysis.Measurements;
import steerscope.analysis.Setup;
import steerscope.model.Checkpoint;
import steerscope.model.SteeringVectors;
import steerscope.task.Problem;

/**
 * {@code analyze} on Spark. The per-problem work runs on executors, each task on a contiguous run of problems
 * with the executor's cached model: pass 1 (greedy generation for every ablation condition, the forward-only
 * sums of the lenses, attention, neurons and path patching's first pass), then, once the driver has picked
 * each layer's boosted tokens from the merged first pass, pass 2 (path patching's patched runs) over the
 * forward prompts. Each task returns its {@link Measurements} (sums, counts, completions by problem index);
 * {@code treeReduce} merges them and the driver writes the same files as {@link Analysis#run} on one machine.
 */
public final class SparkAnalysis {
    private SparkAnalysis() {}

    /**
     * The same files as {@code Analysis.run(driver, problems, outDir, Analysis.local(driver))}, up to float
     * summation order.
     * @param driver the analysis set up on the driver's copy of the model (the driver does the finishing work)
     * @param partitions tasks per pass (at most one per problem); 0: Spark's default parallelism
     */
    public static AnalysisResult run(JavaSparkContext sc, ModelSpec model, Setup driver, List<Problem> problems, Path outDir, int partitions) {
        return Analysis.run(driver, problems, outDir, shares(sc, model, driver, partitions));
    }

    static Analysis.Shares shares(JavaSparkContext sc, ModelSpec model, Setup driver, int partitions) {
        WireVectors vectors = WireVectors.of(driver.vectors());
        Analysis.Options o = driver.options();
        // executors show no progress bars: Spark reports the tasks
        Analysis.Options opt = new Analysis.Options(o.maxNewTokens(), o.batch(), o.forwardPrompts(), o.laterPositions(), false);
        return new Analysis.Shares() {
            @Override
            public Measurements measure(List<Problem> problems) {
                return sc.parallelize(wire(problems), tasks(sc, problems.size(), partitions))
                        .mapPartitions(part -> measureShare(model, vectors, opt, part))
                        .treeReduce(Measurements::merge);
            }

            @Override
            public Measurements patch(List<Problem> forward, int[][] boosted) {
                return sc.parallelize(wire(forward), tasks(sc, forward.size(), partitions))
                        .mapPartitions(part -> patchShare(model, vectors, opt, boosted, part))
                        .treeReduce(Measurements::merge);
            }
        };
    }

    /** One pass-1 task: its run of problems, measured with the indices they have in the whole set. */
    static Iterator<Measurements> measureShare(ModelSpec model, WireVectors vectors, Analysis.Options opt, Iterator<WireProblem> part) {
        Share share = Share.read(part);
        if (share.problems.isEmpty()) return Collections.emptyIterator();
        return List.of(Measurements.ofProblems(setup(model, vectors, opt), share.problems, share.first)).iterator();
    }

    /** One pass-2 task: path patching's patched runs on its run of forward prompts. */
    static Iterator<Measurements> patchShare(ModelSpec model, WireVectors vectors, Analysis.Options opt, int[][] boosted,
                                             Iterator<WireProblem> part) {
        Share share = Share.read(part);
        if (share.problems.isEmpty()) return Collections.emptyIterator();
        return List.of(Measurements.ofPaths(setup(model, vectors, opt), share.problems, boosted)).iterator();
    }

    /** The analysis set up on this executor's model (loaded once per JVM). */
    static Setup setup(ModelSpec model, WireVectors vectors, Analysis.Options opt) {
        Checkpoint m = model.load();
        return new Setup(m.model(), m.tokenizer(), model.prompts(m), vectors.vectors(), opt);
    }

    static int tasks(JavaSparkContext sc, int items, int partitions) {
        return Math.max(1, Math.min(items, partitions > 0 ? partitions : sc.defaultParallelism()));
    }

    private static List<WireProblem> wire(List<Problem> problems) {
        List<WireProblem> out = new ArrayList<>();
        for (int i = 0; i < problems.size(); i++) out.add(WireProblem.of(i, problems.get(i)));
        return out;
    }

    /** A partition's problems: a contiguous run starting at problem {@code first} of the whole set. */
    private record Share(int first, List<Problem> problems) {
        static Share read(Iterator<WireProblem> part) {
            WireProblem.Run run = WireProblem.run(part);
            return new Share(run.first(), run.problems());
        }
    }
}
