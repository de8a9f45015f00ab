package steerscope.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.io.Json;
import steerscope.rl.Evaluator;
import steerscope.util.Bootstrap;
import steerscope.util.UserError;

/**
 * The demo's numbers: each method's accuracy two ways (the sampled mean at T = 1, the paper's metric, and greedy
 * pass@1) with 95% bootstrap intervals over problems, the recovered fraction (vectors' gain over the full
 * fine-tune's, paired over problems) only where the fine-tune's gain is positive beyond its interval, the RL
 * training curves, and the targets checked on the intervals.
 */
final class Accuracies {
    /** Full fine-tune minus base must clear this many points (sampled mean). */
    static final double MIN_FULL_GAIN = 0.25;
    /** The vectors must recover at least this share of the fine-tune's gain. */
    static final double MIN_RECOVERED = 0.80;
    /** The vectors' training accuracy must rise, last 5 steps over first 5, by this share of their final gain. */
    static final double MIN_TRAINING_RISE = 0.5;
    static final int CURVE_WINDOW = 5;

    private Accuracies() {}

    static Map<String, Object> summarise(Evaluator.Result base, Evaluator.Result vectors, Evaluator.Result full) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("base_accuracy", base.summary().meanSampleAccuracy());
        s.put("vectors_accuracy", vectors.summary().meanSampleAccuracy());
        s.put("full_finetune_accuracy", full.summary().meanSampleAccuracy());
        Map<String, Object> acc = new LinkedHashMap<>();
        acc.put("base", accuracy(base.summary()));
        acc.put("vectors", accuracy(vectors.summary()));
        acc.put("full", accuracy(full.summary()));
        s.put("accuracy", acc);

        double[][] sampled = {Evaluator.sampledColumn(base.problems()), Evaluator.sampledColumn(vectors.problems()),
                Evaluator.sampledColumn(full.problems())};
        double[][] greedy = {Evaluator.greedyColumn(base.problems()), Evaluator.greedyColumn(vectors.problems()),
                Evaluator.greedyColumn(full.problems())};
        s.put("full_gain", interval(gain(sampled[0], sampled[2])));
        s.put("vectors_gain", interval(gain(sampled[0], sampled[1])));
        Recovered rec = recovered(sampled);
        s.put("recovered_fraction", rec.value());
        s.put("recovered_fraction_ci", rec.ci());
        if (rec.reason() != null) s.put("recovered_fraction_reason", rec.reason());
        Recovered recGreedy = recovered(greedy);
        s.put("recovered_fraction_greedy", recGreedy.value());
        if (recGreedy.reason() != null) s.put("recovered_fraction_greedy_reason", recGreedy.reason());
        return s;
    }

    /** A recovered fraction, or null with the reason when the fine-tune's gain is not clearly positive. */
    record Recovered(Double value, double[] ci, String reason) {}

    /** (vectors − base) / (full − base) over columns {base, vectors, full}, paired over problems. */
    static Recovered recovered(double[][] columns) {
        Bootstrap.Interval gain = gain(columns[0], columns[2]);
        if (!gain.above(0)) {
            return new Recovered(null, null, String.format(Locale.ROOT,
                    "not measurable: the full fine-tune's gain over the base, %.3f [%.3f, %.3f], is not positive beyond its 95%% interval",
                    gain.value(), gain.lo(), gain.hi()));
        }
        Bootstrap.Interval ratio = Bootstrap.paired(columns, c -> {
            double f = Bootstrap.average(c[2]) - Bootstrap.average(c[0]);
            return f > 0 ? (Bootstrap.average(c[1]) - Bootstrap.average(c[0])) / f : Double.NaN;
        });
        return new Recovered(ratio.value(), ratio.ci(), null);
    }

    /** The paired gain in mean accuracy of {@code method} over {@code base} (one value per problem each), with its interval. */
    static Bootstrap.Interval gain(double[] base, double[] method) {
        return Bootstrap.paired(new double[][] {base, method}, c -> Bootstrap.average(c[1]) - Bootstrap.average(c[0]));
    }

    private static Map<String, Object> accuracy(Evaluator.Summary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sampled_mean", s.meanSampleAccuracy());
        m.put("sampled_ci", s.sampled().ci());
        m.put("greedy", s.greedyAccuracy());
        m.put("greedy_ci", s.greedy().ci());
        m.put("k", s.samples());
        return m;
    }

    private static Map<String, Object> interval(Bootstrap.Interval i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("value", i.value());
        m.put("ci", i.ci());
        return m;
    }

    /** The per-step training accuracy (share of right rollouts) of a run, and the mean of its first and last steps. */
    static Map<String, Object> trainingCurve(Path metricsJsonl) {
        List<Double> accuracy = new ArrayList<>(), reward = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(metricsJsonl)) {
                if (line.isBlank()) continue;
                JsonNode m = Json.MAPPER.readTree(line);
                if (m.has("skipped")) continue;
                accuracy.add(m.path("accuracy").asDouble());
                reward.add(m.path("reward_mean").asDouble());
            }
        } catch (IOException e) {
            throw UserError.inFile(metricsJsonl, "cannot read the training metrics: " + e.getMessage());
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("accuracy", accuracy);
        c.put("reward", reward);
        c.put("first_accuracy", mean(accuracy.subList(0, Math.min(CURVE_WINDOW, accuracy.size()))));
        c.put("last_accuracy", mean(accuracy.subList(Math.max(0, accuracy.size() - CURVE_WINDOW), accuracy.size())));
        return c;
    }

    /** The targets on this run, each with the value and interval it was judged on. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> targets(Map<String, Object> s) {
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, Object> fullGain = (Map<String, Object>) s.get("full_gain");
        double[] fg = (double[]) fullGain.get("ci");
        out.add(target("full fine-tune − base (sampled mean)", (double) fullGain.get("value"), fg, MIN_FULL_GAIN, fg[0] >= MIN_FULL_GAIN));
        Double rec = (Double) s.get("recovered_fraction");
        double[] rc = (double[]) s.get("recovered_fraction_ci");
        out.add(target("recovered fraction (sampled mean)", rec == null ? Double.NaN : rec, rc, MIN_RECOVERED,
                rec != null && rc[0] >= MIN_RECOVERED));
        Map<String, Object> curve = (Map<String, Object>) ((Map<String, Object>) s.get("training")).get("vectors");
        double rise = (double) curve.get("last_accuracy") - (double) curve.get("first_accuracy");
        double vecGain = (double) ((Map<String, Object>) s.get("vectors_gain")).get("value");
        double need = MIN_TRAINING_RISE * vecGain;
        out.add(target("vectors' training accuracy, last 5 − first 5 steps (threshold: half the vectors' test gain)",
                rise, null, need, vecGain > 0 && rise >= need));
        return out;
    }

    private static Map<String, Object> target(String name, double value, double[] ci, double threshold, boolean met) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", name);
        t.put("value", value);
        t.put("ci", ci);
        t.put("threshold", threshold);
        t.put("met", met);
        return t;
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
