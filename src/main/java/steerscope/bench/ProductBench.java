package steerscope.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import steerscope.tensor.DType;
import steerscope.tensor.Kernels;
import steerscope.tensor.Mat;

/**
 * One matmul product timed by the CPU time of the process rather than the wall clock, so that other work on a
 * shared machine does not enter the number (it still shares caches and memory bandwidth): the way to compare the
 * two backends' kernels where a quiet machine is not to be had. {@code BenchWorker product m=.. k=.. n=..
 * dtype=bf16|f32|heap product=forward|input repeats=.. kernels=java|native threads=1}; with threads=1 the CPU time
 * is the kernel's own (more threads add whatever their waiting costs).
 */
final class ProductBench {
    private ProductBench() {}

    static Map<String, Object> run(Map<String, String> a) {
        int m = Integer.parseInt(a.get("m")), k = Integer.parseInt(a.get("k")), n = Integer.parseInt(a.get("n"));
        int repeats = Integer.parseInt(a.getOrDefault("repeats", "10"));
        String dtype = a.getOrDefault("dtype", "bf16"), product = a.getOrDefault("product", "forward");
        SplittableRandom rnd = new SplittableRandom(1);
        float[] values = new float[m * k];
        for (int i = 0; i < values.length; i++) values[i] = (float) (rnd.nextDouble() * 2 - 1) * 0.05f;
        Mat w;
        if (dtype.equals("heap")) {
            w = Mat.of(values, m, k);
        } else {
            DType dt = dtype.equals("f32") ? DType.F32 : DType.BF16;
            MemorySegment seg = Arena.global().allocate((long) m * k * dt.bytes, 64);
            for (int i = 0; i < values.length; i++) {
                if (dt == DType.F32) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, values[i]);
                else seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, DType.floatToBf16(values[i]));
            }
            w = Mat.mapped(seg, dt, m, k);
        }
        float[] x = new float[n * k], out = new float[n * m], dy = new float[n * m], dx = new float[n * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
        for (int i = 0; i < dy.length; i++) dy[i] = (float) rnd.nextDouble();
        Runnable op = switch (product) {
            case "forward" -> () -> Kernels.matmul(out, x, n, w, null);
            case "input" -> () -> Kernels.matmulBackwardInput(dx, dy, n, w, false);
            default -> throw new IllegalArgumentException("product must be forward or input, got " + product);
        };
        for (int i = 0; i < 3; i++) op.run(); // warm-up: the JIT, oneDNN's primitive
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime(), wall0 = System.nanoTime();
        for (int i = 0; i < repeats; i++) op.run();
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9 / repeats, wall = (System.nanoTime() - wall0) / 1e9 / repeats;
        Map<String, Object> out2 = new LinkedHashMap<>();
        out2.put("shape", m + "x" + k + " " + dtype + ", " + n + " rows, " + product);
        out2.put("cpu_s_per_call", cpu);
        out2.put("wall_s_per_call", wall);
        out2.put("gflop_per_cpu_s", 2.0 * m * k * n / cpu / 1e9);
        return out2;
    }
}
