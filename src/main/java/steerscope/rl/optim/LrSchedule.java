package steerscope.rl.optim;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import steerscope.util.EnumWords;
import steerscope.util.UserError;

/**
 * A learning-rate schedule with linear warmup, as Hugging Face's {@code get_constant_schedule_with_warmup} and
 * {@code get_cosine_schedule_with_warmup} (num_cycles 0.5, with HF's optional {@code min_lr_rate}) compute it
 * inside a {@code LambdaLR}: {@code lr(step)} is the rate the optimizer step with 0-based index {@code step} uses.
 *
 * <p>During warmup the multiplier is {@code step / warmup} (so the very first step has rate 0 when warmup &gt; 0);
 * then it is 1 (constant) or {@code r + (1 - r) * 0.5 * (1 + cos(pi * progress))} (cosine, r = minLrRatio) with
 * {@code progress = (step - warmup) / (totalSteps - warmup)}.
 */
public record LrSchedule(Kind kind, double baseLr, int warmupSteps, int totalSteps, double minLrRatio) {
    public enum Kind {
        CONSTANT, COSINE;

        @JsonValue
        public String json() {
            return EnumWords.of(this);
        }

        /** "constant" or "cosine" (any case). */
        @JsonCreator
        public static Kind parse(String name) {
            String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
            return EnumWords.parse(Kind.class, n, "unknown lr schedule '" + name + "' (expected 'constant' or 'cosine')");
        }
    }

    public LrSchedule {
        if (kind == null) throw new IllegalArgumentException("kind");
        if (!(baseLr >= 0) || Double.isInfinite(baseLr)) throw new UserError("learning rate must be a finite number >= 0, got " + baseLr);
        if (warmupSteps < 0) throw new UserError("warmup steps must be >= 0, got " + warmupSteps);
        if (totalSteps < 0) throw new UserError("total steps must be >= 0, got " + totalSteps);
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) throw new UserError("min lr ratio must be between 0 and 1, got " + minLrRatio);
    }

    public static LrSchedule constant(double baseLr, int warmupSteps) {
        return new LrSchedule(Kind.CONSTANT, baseLr, warmupSteps, 0, 0.0);
    }

    public static LrSchedule cosine(double baseLr, int warmupSteps, int totalSteps, double minLrRatio) {
        return new LrSchedule(Kind.COSINE, baseLr, warmupSteps, totalSteps, minLrRatio);
    }

    /** The constant schedule ignores totalSteps and minLrRatio. */
    public static LrSchedule of(Kind kind, double baseLr, int warmupSteps, int totalSteps, double minLrRatio) {
        return switch (kind) {
            case CONSTANT -> constant(baseLr, warmupSteps);
            case COSINE -> cosine(baseLr, warmupSteps, totalSteps, minLrRatio);
        };
    }

    /** {@code name} as {@link Kind#parse}. */
    public static LrSchedule parse(String name, double baseLr, int warmupSteps, int totalSteps, double minLrRatio) {
        return of(Kind.parse(name), baseLr, warmupSteps, totalSteps, minLrRatio);
    }

    /** The factor LambdaLR multiplies the base rate by, in double exactly as HF's Python lambdas compute it. */
    public double multiplier(int step) {
        if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
        if (kind == Kind.CONSTANT) return 1.0;
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        double factor = 0.5 * (1.0 + StrictMath.cos(Math.PI * 0.5 * 2.0 * progress));
        factor = factor * (1 - minLrRatio) + minLrRatio;
        return Math.max(0.0, factor);
    }

    /** The learning rate of the optimizer step with 0-based index {@code step}. */
    public double lr(int step) {
        return baseLr * multiplier(step);
    }
}
