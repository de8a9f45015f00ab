package steerscope.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import steerscope.task.Problem;

/**
 * What the analyses measured on a share of the problems (a run of consecutive ones), before anything is
 * averaged: each problem's greedy completions (keyed by its index in the whole set) and, per analysis, sums
 * and counts. Shares measured anywhere (this JVM, Spark executors) {@link #merge} into the measurements of
 * all of them, in any order; {@link Analysis#run} turns those into the files. A field is null when the share
 * measured nothing for it (no forward prompt in the share, or the other of the two passes).
 *
 * <p>Two passes, because path patching's second pass needs each layer's boosted tokens, which only the
 * first pass over all the forward prompts determines: {@link #ofProblems} (generation, ablations, every
 * forward-only sum, path patching's first pass), then {@link #ofPaths} (path patching's patched runs).
 */
public final class Measurements implements Serializable {
    /** Stages of stage_seconds, in order; a share adds the seconds it spent in each. */
    static final List<String> STAGES = List.of("generate", "logit_lens_vectors", "logit_lens_resid", "ablations", "path_patching",
            "attention_vs_mlp", "token_categories", "neurons");

    final TreeMap<Integer, Completions.Completion> base, steered;
    final Ablations.Part ablations;
    final ResidualStats.Part baseStats, steeredStats;
    final ResidualLens.Part residualLens;
    final PathPatching.Totals pathTotals;
    final PathPatching.Paths paths;
    final AttentionMlp.Part attention;
    final NeuronAttribution.Part neurons;
    final double[] seconds; // per stage

    private Measurements(TreeMap<Integer, Completions.Completion> base, TreeMap<Integer, Completions.Completion> steered,
                         Ablations.Part ablations, ResidualStats.Part baseStats, ResidualStats.Part steeredStats,
                         ResidualLens.Part residualLens, PathPatching.Totals pathTotals, PathPatching.Paths paths,
                         AttentionMlp.Part attention, NeuronAttribution.Part neurons, double[] seconds) {
        this.base = base;
        this.steered = steered;
        this.ablations = ablations;
        this.baseStats = baseStats;
        this.steeredStats = steeredStats;
        this.residualLens = residualLens;
        this.pathTotals = pathTotals;
        this.paths = paths;
        this.attention = attention;
        this.neurons = neurons;
        this.seconds = seconds;
    }

    /**
     * Pass 1 on problems first .. first+n-1 of the whole set: greedy generation (base, steered, every
     * ablation), and, for those among the first {@link Analysis.Options#forwardPrompts}, the forward-only sums.
     */
    public static Measurements ofProblems(Setup s, List<Problem> problems, int first) {
        Analysis.Options opt = s.opt;
        Timer t = new Timer();
        List<int[]> ids = new ArrayList<>();
        for (Problem p : problems) ids.add(s.encode(p));
        var base = Completions.greedy(s.model, s.tokenizer, problems, ids, null, opt.maxNewTokens(), opt.batch(), "generate base", opt.progress());
        var steered = Completions.greedy(s.model, s.tokenizer, problems, ids, s.all, opt.maxNewTokens(), opt.batch(), "generate steered", opt.progress());
        t.lap("generate");

        List<int[]> fwd = ids.subList(0, Math.clamp(s.forwardLimit() - (long) first, 0, ids.size()));
        ResidualStats.Part baseStats = null, steeredStats = null;
        ResidualLens.Part lens = null;
        if (!fwd.isEmpty()) {
            baseStats = ResidualStats.part(s.tf, fwd, null, opt.batch());
            steeredStats = ResidualStats.part(s.tf, fwd, s.all, opt.batch());
            t.lap("logit_lens_vectors");
            List<int[]> steeredTokens = steered.subList(0, fwd.size()).stream().map(Completions.Completion::tokens).toList();
            lens = ResidualLens.part(s.tf, s.lens, fwd, steeredTokens, s.all, opt.laterPositions(), opt.batch());
            t.lap("logit_lens_resid");
        }
        Ablations.Part ablations = Ablations.part(s.model, s.tokenizer, problems, ids, s.all, base, steered, opt.maxNewTokens(),
                opt.batch(), opt.progress());
        t.lap("ablations");
        PathPatching.Totals totals = null;
        AttentionMlp.Part attention = null;
        NeuronAttribution.Part neurons = null;
        if (!fwd.isEmpty()) {
            totals = PathPatching.totals(s.tf, s.vocab, fwd, s.all, opt.batch());
            t.lap("path_patching");
            // attention patterns are [B, H, T, T] per layer: keep batches small
            attention = AttentionMlp.part(s.tf, fwd, s.all, Math.min(opt.batch(), 4));
            t.lap("attention_vs_mlp");
            neurons = NeuronAttribution.part(s.tf, fwd, s.all, opt.batch());
            t.lap("neurons");
        }
        return new Measurements(indexed(first, base), indexed(first, steered), ablations, baseStats, steeredStats, lens, totals, null,
                attention, neurons, t.seconds);
    }

    /** Pass 2 on forward prompts (any run of them): path patching's patched runs, given each vector layer's boosted tokens. */
    public static Measurements ofPaths(Setup s, List<Problem> forward, int[][] boosted) {
        Timer t = new Timer();
        List<int[]> ids = new ArrayList<>();
        for (Problem p : forward) ids.add(s.encode(p));
        PathPatching.Paths paths = PathPatching.paths(s.tf, s.vocab, ids, s.all, boosted, s.opt.batch(), s.opt.progress());
        t.lap("path_patching");
        return new Measurements(new TreeMap<>(), new TreeMap<>(), null, null, null, null, null, paths, null, null, t.seconds);
    }

    /** The measurements of both shares. Arrays of a are added into; neither is used afterwards. */
    public static Measurements merge(Measurements a, Measurements b) {
        TreeMap<Integer, Completions.Completion> base = new TreeMap<>(a.base), steered = new TreeMap<>(a.steered);
        base.putAll(b.base);
        steered.putAll(b.steered);
        if (base.size() != a.base.size() + b.base.size()) throw new IllegalStateException("two shares measured the same problem");
        return new Measurements(base, steered,
                Sums.merge(a.ablations, b.ablations, Ablations.Part::merge),
                Sums.merge(a.baseStats, b.baseStats, ResidualStats.Part::merge),
                Sums.merge(a.steeredStats, b.steeredStats, ResidualStats.Part::merge),
                Sums.merge(a.residualLens, b.residualLens, ResidualLens.Part::merge),
                Sums.merge(a.pathTotals, b.pathTotals, PathPatching.Totals::merge),
                Sums.merge(a.paths, b.paths, PathPatching.Paths::merge),
                Sums.merge(a.attention, b.attention, AttentionMlp.Part::merge),
                Sums.merge(a.neurons, b.neurons, NeuronAttribution.Part::merge),
                Sums.add(a.seconds.clone(), b.seconds));
    }

    /** Path patching's first pass over all the forward prompts decides these: per vector layer, its boosted tokens. */
    public int[][] boosted(Setup s) {
        return PathPatching.boosted(pathTotals, s.vocab);
    }

    List<Completions.Completion> base() {
        return new ArrayList<>(base.values());
    }

    List<Completions.Completion> steered() {
        return new ArrayList<>(steered.values());
    }

    private static TreeMap<Integer, Completions.Completion> indexed(int first, List<Completions.Completion> cs) {
        TreeMap<Integer, Completions.Completion> m = new TreeMap<>();
        for (int i = 0; i < cs.size(); i++) m.put(first + i, cs.get(i));
        return m;
    }

    /** Seconds per stage spent by this share. */
    static final class Timer {
        final double[] seconds = new double[STAGES.size()];
        private long last = System.nanoTime();

        void lap(String stage) {
            long now = System.nanoTime();
            seconds[STAGES.indexOf(stage)] += (now - last) / 1e9;
            last = now;
        }
    }
}
