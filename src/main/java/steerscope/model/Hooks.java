package steerscope.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Functions called at named hook points during a forward pass (TransformerLens style). A hook sees the live
 * activation buffer and may read it or overwrite it in place; the forward continues from what it leaves.
 * Shapes: residual-stream points are [B, T, d_model]; {@code attn.hook_pattern} is [B, n_heads, T, S]
 * (S = keys seen so far); {@code attn.hook_q} and {@code attn.hook_z} are [B, T, n_heads, head_dim],
 * {@code attn.hook_k} and {@code attn.hook_v} [B, T, n_kv_heads, head_dim] (q and k before RoPE, as in
 * TransformerLens; a hook that writes them changes what is rotated and cached); {@code mlp.hook_post} is
 * [B, T, intermediate_size], silu(gate) · up. With no hook registered the forward pays one map lookup per point.
 */
public final class Hooks {
    /** An activation at a hook point: {@code data} holds {@code shape} row-major values from offset 0. */
    public record Activation(String name, float[] data, int[] shape) {
        public int size() {
            int n = 1;
            for (int s : shape) n *= s;
            return n;
        }
    }

    @FunctionalInterface
    public interface Hook {
        void apply(Activation activation);
    }

    private final Map<String, List<Hook>> hooks = new HashMap<>();
    private final List<Predicate<String>> filters = new ArrayList<>();
    private final List<Hook> filtered = new ArrayList<>();

    public Hooks add(String name, Hook hook) {
        hooks.computeIfAbsent(name, k -> new ArrayList<>()).add(hook);
        return this;
    }

    /** A hook on every point whose name passes the filter. */
    public Hooks addAll(Predicate<String> filter, Hook hook) {
        filters.add(filter);
        filtered.add(hook);
        return this;
    }

    /** Stores a copy of every activation whose name passes the filter into {@code cache}. */
    public Hooks cache(ActivationCache cache, Predicate<String> filter) {
        return addAll(filter, cache::put);
    }

    public boolean has(String name) {
        if (hooks.containsKey(name)) return true;
        for (Predicate<String> f : filters) if (f.test(name)) return true;
        return false;
    }

    public void fire(String name, float[] data, int... shape) {
        List<Hook> list = hooks.get(name);
        boolean any = list != null;
        for (Predicate<String> f : filters) any |= f.test(name);
        if (!any) return;
        Activation a = new Activation(name, data, shape);
        if (list != null) for (Hook h : list) h.apply(a);
        for (int i = 0; i < filters.size(); i++) if (filters.get(i).test(name)) filtered.get(i).apply(a);
    }
}
