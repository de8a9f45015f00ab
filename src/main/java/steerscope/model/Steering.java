package steerscope.model;

import java.util.Arrays;

/**
 * How a set of vectors is applied in a forward pass: a scale for all of them (dose-response), where along the
 * sequence, which layers are switched on (null = every layer that has a vector), and an optional token-wise
 * {@link AdaptiveScale} (null = plain vectors).
 */
public record Steering(SteeringVectors vectors, float scale, VectorPositions positions, boolean[] layerEnabled,
                       AdaptiveScale adaptive) {
    public Steering(SteeringVectors vectors, float scale, VectorPositions positions, boolean[] layerEnabled) {
        this(vectors, scale, positions, layerEnabled, null);
    }

    public static Steering of(SteeringVectors vectors) {
        return new Steering(vectors, 1f, VectorPositions.ALL, null);
    }

    /** Whether layer l adds a vector. */
    public boolean active(int layer) {
        return vectors != null && vectors.has(layer) && (layerEnabled == null || layerEnabled[layer]);
    }

    public Steering withPositions(VectorPositions p) {
        return new Steering(vectors, scale, p, layerEnabled, adaptive);
    }

    public Steering withLayers(boolean[] enabled) {
        return new Steering(vectors, scale, positions, enabled, adaptive);
    }

    /** The same steering with each vector scaled token-wise by s (null: plain vectors). */
    public Steering withAdaptive(AdaptiveScale s) {
        return new Steering(vectors, scale, positions, layerEnabled, s);
    }

    /** Only layer l on. */
    public Steering onlyLayer(int l) {
        boolean[] e = new boolean[vectors.nLayers()];
        e[l] = true;
        return withLayers(e);
    }

    /** Every layer but l. */
    public Steering allButLayer(int l) {
        boolean[] e = new boolean[vectors.nLayers()];
        Arrays.fill(e, true);
        e[l] = false;
        return withLayers(e);
    }
}
