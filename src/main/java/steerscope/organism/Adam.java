package steerscope.organism;

import java.util.List;

/**
 * A minimal AdamW for pretraining the organism (decoupled weight decay, bias-corrected moments), updating
 * the weight arrays in place. Kept private to this package: the RL side has its own optimizer.
 */
final class Adam {
    /** One trained array, its gradient buffer, and whether weight decay applies to it. */
    record Param(String name, float[] value, float[] grad, boolean decay) {}

    private final List<Param> params;
    private final float[][] m, v;
    private final double beta1, beta2, eps, weightDecay;
    private int t;

    Adam(List<Param> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        m = new float[params.size()][];
        v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).value().length];
            v[i] = new float[params.get(i).value().length];
        }
    }

    /** The L2 norm of all gradients together. */
    double gradNorm() {
        double s = 0;
        for (Param p : params) for (float g : p.grad()) s += (double) g * g;
        return Math.sqrt(s);
    }

    /** One step at learning rate lr, the gradients first multiplied by gradScale (for clipping). */
    void step(double lr, double gradScale) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        float b1 = (float) beta1, b2 = (float) beta2, scale = (float) gradScale;
        float stepSize = (float) (lr / bc1), invBc2 = (float) (1 / bc2), e = (float) eps;
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            float[] w = p.value(), g = p.grad(), mi = m[i], vi = v[i];
            float decay = p.decay() ? (float) (1 - lr * weightDecay) : 1f;
            for (int j = 0; j < w.length; j++) {
                float gj = g[j] * scale;
                mi[j] = b1 * mi[j] + (1 - b1) * gj;
                vi[j] = b2 * vi[j] + (1 - b2) * gj * gj;
                w[j] = w[j] * decay - stepSize * mi[j] / ((float) Math.sqrt(vi[j] * invBc2) + e);
            }
        }
    }
}
