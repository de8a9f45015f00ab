package steerscope.spark;

import java.io.Serializable;
import steerscope.model.SteeringVectors;

/** Steering vectors as shipped to executors: a float array per layer (null where none). */
record WireVectors(float[][] layers, int dModel) implements Serializable {
    static WireVectors of(SteeringVectors v) {
        float[][] a = new float[v.nLayers()][];
        for (int l : v.layers()) a[l] = v.get(l).clone();
        return new WireVectors(a, v.dModel());
    }

    /** The vectors, sharing this record's arrays (executors only read them). */
    SteeringVectors vectors() {
        SteeringVectors v = new SteeringVectors(layers.length, dModel);
        for (int l = 0; l < layers.length; l++) if (layers[l] != null) v.set(l, layers[l]);
        return v;
    }
}
