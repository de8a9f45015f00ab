package steerscope.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Copies of activations keyed by hook name, as TransformerLens' {@code run_with_cache} returns them. */
public final class ActivationCache {
    private final Map<String, Hooks.Activation> store = new LinkedHashMap<>();

    void put(Hooks.Activation a) {
        int n = a.size();
        float[] copy = new float[n];
        System.arraycopy(a.data(), 0, copy, 0, n);
        store.put(a.name(), new Hooks.Activation(a.name(), copy, a.shape().clone()));
    }

    public Hooks.Activation get(String name) {
        Hooks.Activation a = store.get(name);
        if (a == null) throw new IllegalArgumentException("no cached activation '" + name + "' (cached: " + store.keySet() + ")");
        return a;
    }

    public boolean has(String name) {
        return store.containsKey(name);
    }

    public Set<String> names() {
        return store.keySet();
    }
}
