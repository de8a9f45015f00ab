package steerscope.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.model.Model;
import steerscope.tensor.DType;

/** The generated bench checkpoints load as real ones, and the rooflines count what the model actually holds. */
class BenchModelsTest {
    /** Qwen2.5-0.5B's layout (GQA, q/k/v bias, tied, BF16) at a tiny size. */
    static final BenchModels.Shape TINY = new BenchModels.Shape("tiny", 64, 2, 4, 2, 96, 300, true, DType.BF16);

    @Test
    void generatedCheckpointLoadsWithTheShapeAndDtypeAskedFor(@TempDir Path dir) throws Exception {
        Path m = BenchModels.ensure(dir, TINY, 7);
        long size = Files.size(m.resolve("model.safetensors"));
        try (Model model = Model.load(m)) {
            assertEquals(DType.BF16, model.weights.dtype());
            assertSame(model.weights.embed, model.weights.lmHead, "tied");
            assertEquals(64, model.config.hiddenSize());
            assertEquals(2, model.config.nKvHeads());
            long[] bytes = {0};
            model.weights.forEachMat((n, w) -> bytes[0] += w.bytes());
            assertEquals(true, model.config.attentionBias());
            // every tensor is BF16: 2 bytes per parameter, plus the header
            long params = model.config.parameterCount();
            assertEquals(true, size > 2 * params && size < 2 * params + 64 * 1024, size + " bytes for " + params + " parameters");
            // the decode roofline reads every matrix once per step (lm_head = embed when tied) plus the KV cache
            BenchRunner.Case c = new BenchRunner.Case("tiny", m, "decode", 4, 10, 2, new Workloads.Plan(0, 3, 1), null);
            double ctx = 10 + 3 * 2 / 2.0;
            double perStep = bytes[0] + 4 * 2.0 * 2 * ctx * model.config.kvDim() * 4;
            assertEquals(4 * 1e9 / perStep, BenchRunner.roofline(c, model.config, 100, 1).tokensPerSecond(), 1e-9 * 4e9 / perStep);
        }
        long before = Files.getLastModifiedTime(m.resolve("model.safetensors")).toMillis();
        BenchModels.ensure(dir, TINY, 7);
        assertEquals(before, Files.getLastModifiedTime(m.resolve("model.safetensors")).toMillis(), "generated once, then reused");
    }

    @Test
    void decodeFmaBoundCountsTwoFlopsPerWeightAndTheAttention(@TempDir Path dir) {
        Path m = BenchModels.ensure(dir, TINY, 7);
        try (Model model = Model.load(m)) {
            var cfg = model.config;
            BenchRunner.Case c = new BenchRunner.Case("t", m, "decode", 16, 10, 2, new Workloads.Plan(0, 3, 1), null);
            double weights = cfg.nLayers() * (2.0 * 64 * 64 + 2.0 * 64 * cfg.kvDim() + 3.0 * 64 * 96) + 300 * 64;
            double attn = 4.0 * 16 * (10 + 3) * 4 * 2; // head_dim 16, mean context 13, 4 heads, 2 layers
            assertEquals(100e9 / (2 * weights + attn), BenchRunner.decodeFmaBound(c, cfg, 100), 1e-6);
        }
    }

    @Test
    void trainingRooflinesCountForwardAndBackwardFlops(@TempDir Path dir) {
        Path m = BenchModels.ensure(dir, TINY, 7);
        try (Model model = Model.load(m)) {
            var cfg = model.config;
            Workloads.Plan p = new Workloads.Plan(0, 1, 1);
            double prefill = BenchRunner.roofline(new BenchRunner.Case("t", m, "prefill", 2, 8, 0, p, null), cfg, 100, 1).tokensPerSecond();
            double rl = BenchRunner.roofline(new BenchRunner.Case("t", m, "rl", 2, 8, 0, p, null), cfg, 100, 1).tokensPerSecond();
            // per token: prefill 2 flops per layer weight (+ attention); the RL step adds lm_head and doubles for the backward
            double layer = cfg.nLayers() * (2.0 * 64 * 64 + 2.0 * 64 * cfg.kvDim() + 3.0 * 64 * 96);
            double attn = 4.0 * 16 * (8 * 9 / 2.0) * 4 * 2 * 2;
            assertEquals(16 * 100e9 / (2 * 16 * layer + attn), prefill, 1e-6 * prefill);
            assertEquals(16 * 100e9 / (4 * 16 * (layer + 300 * 64) + 3 * attn), rl, 1e-6 * rl);
        }
    }
}
