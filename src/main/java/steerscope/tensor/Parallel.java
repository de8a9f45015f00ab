package steerscope.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * A fixed pool of one worker per core, and a parallel for over task indices. Kernels split their work by
 * output rows (or tokens) into about 4 tasks per thread, so threads never write the same memory.
 */
public final class Parallel {
    private static volatile int threads = Integer.getInteger("steerscope.threads", Runtime.getRuntime().availableProcessors());
    private static volatile ForkJoinPool pool = new ForkJoinPool(threads);

    private Parallel() {}

    public static int threads() {
        return threads;
    }

    /** Changes the number of worker threads (the bench uses it to match PyTorch's). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1");
        if (n == threads) return;
        ForkJoinPool old = pool;
        threads = n;
        pool = new ForkJoinPool(n);
        old.shutdown();
    }

    /** Runs task(i) for i in [0, n), on the pool; runs inline when there is one task or one thread. */
    public static void forEach(int n, IntConsumer task) {
        if (n <= 0) return;
        if (n == 1 || threads == 1 || java.util.concurrent.ForkJoinTask.getPool() == pool) {
            for (int i = 0; i < n; i++) task.accept(i);
            return;
        }
        pool.invoke(new Range(0, n, task));
    }

    /** Splits [0, total) into chunks of at least {@code grain} and runs body(start, end) on each in parallel. */
    public static void forRange(int total, int grain, RangeBody body) {
        if (total <= 0) return;
        int maxChunks = Math.max(1, total / Math.max(1, grain));
        int chunks = Math.min(maxChunks, threads * 4);
        // a multiple of the thread count: 3 equal chunks on 2 threads leave one thread idle for a third of the time
        if (chunks > threads) chunks -= chunks % threads;
        if (chunks <= 1) {
            body.run(0, total);
            return;
        }
        int size = (total + chunks - 1) / chunks;
        int n = (total + size - 1) / size;
        forEach(n, c -> body.run(c * size, Math.min(total, (c + 1) * size)));
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final class Range extends RecursiveAction {
        final int lo, hi;
        final IntConsumer task;

        Range(int lo, int hi, IntConsumer task) {
            this.lo = lo;
            this.hi = hi;
            this.task = task;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                task.accept(lo);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Range(lo, mid, task), new Range(mid, hi, task));
        }
    }
}
