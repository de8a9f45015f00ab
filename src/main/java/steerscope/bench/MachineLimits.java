package steerscope.bench;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's rooflines, measured in the same run as the workloads: peak FMA throughput of the cores through
 * the Vector API (independent accumulators, so the FMA units, not latency, are the limit) and memory bandwidth
 * with STREAM-like read, copy and triad loops over arrays far larger than the caches.
 */
public final class MachineLimits {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** GFLOP/s (an FMA is 2 flops) and GB/s. */
    public record Limits(double fmaGflops, double readGBs, double copyGBs, double triadGBs) {
        /**
         * The bandwidth a weight-streaming decode can reach: the read stream's. Decode only reads (weights, keys,
         * values); copy and triad count their written bytes too and come out higher because reads and writes
         * overlap, a rate no read-only loop reaches.
         */
        public double bandwidthGBs() {
            return readGBs;
        }
    }

    private MachineLimits() {}

    public static Limits measure(int threads, long arrayBytes) {
        double fma = 0;
        for (int i = 0; i < 5; i++) fma = Math.max(fma, fmaGflops(threads, 40_000_000L / threads));
        int n = (int) Math.min(Integer.MAX_VALUE - 64, arrayBytes / 4);
        n -= n % (F.length() * threads);
        float[] a = new float[n], b = new float[n], c = new float[n];
        Arrays.fill(a, 1f);
        Arrays.fill(b, 2f);
        Arrays.fill(c, 3f);
        double read = 0, copy = 0, triad = 0;
        for (int i = 0; i < 5; i++) {
            read = Math.max(read, stream(threads, n, 0, a, b, c) * 1.0 * n * 4 / 1e9);
            copy = Math.max(copy, stream(threads, n, 1, a, b, c) * 2.0 * n * 4 / 1e9);
            triad = Math.max(triad, stream(threads, n, 2, a, b, c) * 3.0 * n * 4 / 1e9);
        }
        return new Limits(fma, read, copy, triad);
    }

    /** Runs iters iterations of 12 independent vector FMAs on each thread; returns GFLOP/s. */
    static double fmaGflops(int threads, long iters) {
        double[] sink = new double[threads];
        double seconds = onThreads(threads, t -> sink[t] = fmaLoop(iters));
        return threads * iters * 12.0 * F.length() * 2 / seconds / 1e9;
    }

    private static double fmaLoop(long iters) {
        FloatVector x = FloatVector.broadcast(F, 0.999999f), y = FloatVector.broadcast(F, 1e-7f);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(x, y); a1 = a1.fma(x, y); a2 = a2.fma(x, y); a3 = a3.fma(x, y);
            a4 = a4.fma(x, y); a5 = a5.fma(x, y); a6 = a6.fma(x, y); a7 = a7.fma(x, y);
            a8 = a8.fma(x, y); a9 = a9.fma(x, y); a10 = a10.fma(x, y); a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).lane(0);
    }

    /** One pass of kind 0 read (sum a), 1 copy (c = a), 2 triad (a = b + s·c), split over threads; returns 1/seconds. */
    private static double stream(int threads, int n, int kind, float[] a, float[] b, float[] c) {
        int chunk = n / threads;
        double[] sink = new double[threads];
        double seconds = onThreads(threads, t -> {
            int lo = t * chunk, hi = lo + chunk, L = F.length();
            switch (kind) {
                case 0 -> {
                    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                    for (int i = lo; i < hi; i += 4 * L) {
                        s0 = s0.add(FloatVector.fromArray(F, a, i));
                        s1 = s1.add(FloatVector.fromArray(F, a, i + L));
                        s2 = s2.add(FloatVector.fromArray(F, a, i + 2 * L));
                        s3 = s3.add(FloatVector.fromArray(F, a, i + 3 * L));
                    }
                    sink[t] = s0.add(s1).add(s2).add(s3).lane(0);
                }
                case 1 -> System.arraycopy(a, lo, c, lo, chunk);
                default -> {
                    FloatVector s = FloatVector.broadcast(F, 3f);
                    for (int i = lo; i < hi; i += L) {
                        FloatVector.fromArray(F, c, i).fma(s, FloatVector.fromArray(F, b, i)).intoArray(a, i);
                    }
                }
            }
        });
        return 1 / seconds;
    }

    /** Runs body(t) on threads platform threads started together; returns the wall seconds of the slowest. */
    private static double onThreads(int threads, IntConsumer body) {
        CountDownLatch ready = new CountDownLatch(threads), go = new CountDownLatch(1), done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread th = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                body.accept(id);
                done.countDown();
            });
            th.setDaemon(true);
            th.start();
        }
        try {
            ready.await();
            long t0 = System.nanoTime();
            go.countDown();
            done.await();
            return (System.nanoTime() - t0) / 1e9;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
