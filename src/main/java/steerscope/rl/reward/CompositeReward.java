package steerscope.rl.reward;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import steerscope.task.Problem;

/**
 * A weighted sum of rewards: {@code score = sum_i weight_i * part_i.score}. {@link #breakdown} gives each
 * part's weighted contribution by name (in the order added) for the metrics; its values sum to the score.
 */
public final class CompositeReward implements Reward {
    public record Part(Reward reward, double weight) {
        public Part {
            Objects.requireNonNull(reward, "reward");
            if (!Double.isFinite(weight)) {
                throw new IllegalArgumentException("weight of " + reward.name() + " must be finite, got " + weight);
            }
        }
    }

    private final String name;
    private final List<Part> parts;

    public CompositeReward(String name, List<Part> parts) {
        this.name = Objects.requireNonNull(name, "name");
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a composite reward needs at least one part");
        }
        var names = new HashSet<String>();
        for (Part p : parts) {
            if (!names.add(p.reward().name())) {
                throw new IllegalArgumentException("two reward parts are named \"" + p.reward().name() + "\"");
            }
        }
        this.parts = List.copyOf(parts);
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<Part> parts() {
        return parts;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double score(Problem problem, String completion) {
        return sum(breakdown(problem, completion));
    }

    @Override
    public double score(Problem problem, String completion, int completionTokens) {
        return sum(breakdown(problem, completion, completionTokens));
    }

    /** Each part's weighted contribution; parts that need a token count must have their own counter. */
    public Map<String, Double> breakdown(Problem problem, String completion) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Part p : parts) {
            out.put(p.reward().name(), p.weight() * p.reward().score(problem, completion));
        }
        return out;
    }

    public Map<String, Double> breakdown(Problem problem, String completion, int completionTokens) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Part p : parts) {
            out.put(p.reward().name(), p.weight() * p.reward().score(problem, completion, completionTokens));
        }
        return out;
    }

    private static double sum(Map<String, Double> breakdown) {
        double s = 0;
        for (double v : breakdown.values()) {
            s += v;
        }
        return s;
    }

    public static final class Builder {
        private final List<Part> parts = new ArrayList<>();
        private String name = "reward";

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder add(Reward reward, double weight) {
            parts.add(new Part(reward, weight));
            return this;
        }

        public CompositeReward build() {
            return new CompositeReward(name, parts);
        }
    }
}
