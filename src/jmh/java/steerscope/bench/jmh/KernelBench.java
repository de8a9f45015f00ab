package steerscope.bench.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import steerscope.tensor.DType;
import steerscope.tensor.Kernels;
import steerscope.tensor.Mat;

/**
 * Kernel microbenchmarks on Qwen2.5-0.5B's shapes: the matmul (F32 and BF16 weights; n = 1 is the decode matvec
 * over BF16, larger n prefill), decode attention over a 256-token KV cache, RMSNorm. Scores are per call; divide
 * 2·n·m·k by the time for FLOP/s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBench {
    @State(Scope.Benchmark)
    public static class MatmulState {
        @Param({"F32", "BF16"}) public String dtype;
        @Param({"1", "16", "128"}) public int n;
        /** The MLP gate projection of Qwen2.5-0.5B: [4864, 896]. */
        final int m = 4864, k = 896;
        Arena arena;
        Mat w;
        float[] x, out;

        @Setup(Level.Trial)
        public void setup() {
            arena = Arena.ofShared();
            DType dt = DType.valueOf(dtype);
            MemorySegment seg = arena.allocate((long) m * k * dt.bytes, 64);
            SplittableRandom r = new SplittableRandom(1);
            for (long i = 0; i < (long) m * k; i++) {
                float v = (float) (r.nextDouble() - 0.5);
                if (dt == DType.F32) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, v);
                else seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, DType.floatToBf16(v));
            }
            w = Mat.mapped(seg, dt, m, k);
            x = random(n * k, 2);
            out = new float[n * m];
        }

        @TearDown(Level.Trial)
        public void close() {
            arena.close();
        }
    }

    @State(Scope.Benchmark)
    public static class AttentionState {
        /** One decode token, 14 query heads over 2 KV heads of 64, a 256-slot cache (Qwen2.5-0.5B). */
        final int heads = 14, kvHeads = 2, hd = 64, ctx = 256, kvDim = kvHeads * hd;
        float[] q = random(heads * hd, 3), kc = random(ctx * kvDim, 4), vc = random(ctx * kvDim, 5);
        float[] scores = new float[ctx], out = new float[heads * hd];
    }

    @State(Scope.Benchmark)
    public static class NormState {
        final int n = 128, d = 896;
        float[] x = random(n * d, 6), w = random(d, 7), out = new float[n * d], rstd = new float[n];
    }

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() - 0.5);
        return a;
    }

    @Benchmark
    public void matmul(MatmulState s, Blackhole bh) {
        Kernels.matmul(s.out, s.x, s.n, s.w, null);
        bh.consume(s.out);
    }

    /** The decode attention inner loop as Transformer runs it: scores by dot products, softmax, weighted values. */
    @Benchmark
    public void decodeAttention(AttentionState s, Blackhole bh) {
        java.util.Arrays.fill(s.out, 0f);
        int group = s.heads / s.kvHeads;
        for (int h = 0; h < s.heads; h++) {
            int kvo = (h / group) * s.hd;
            for (int j = 0; j < s.ctx; j++) s.scores[j] = Kernels.dot(s.q, h * s.hd, s.kc, j * s.kvDim + kvo, s.hd) * 0.125f;
            Kernels.softmax(s.scores, 0, s.ctx);
            for (int j = 0; j < s.ctx; j++) Kernels.axpy(s.scores[j], s.vc, j * s.kvDim + kvo, s.out, h * s.hd, s.hd);
        }
        bh.consume(s.out);
    }

    @Benchmark
    public void rmsnorm(NormState s, Blackhole bh) {
        Kernels.rmsnorm(s.out, s.x, s.w, s.rstd, s.n, s.d, 1e-6f);
        bh.consume(s.out);
    }
}
