package steerscope.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed pool of threads and a parallel for over task indices. Kernels split their work by output rows (or
 * tokens) into about 4 tasks per thread, so threads never write the same memory; which thread runs which index
 * does not change any result.
 *
 * <p>The calling thread works too, next to threads − 1 workers. An idle worker waits hot (spinning) for a while
 * before it parks: a decode step is a few hundred short parallel loops, and waking a parked thread costs 10-60 µs
 * each time (what a ForkJoinPool paid here), more than many of those loops take. One loop runs on the pool at a
 * time; a loop started while the pool is busy (from inside a task, or from a second caller such as another Spark
 * task thread) runs on its own calling thread.
 */
public final class Parallel {
    /** How long an idle worker spins before parking: longer than the serial gaps between a step's loops. */
    private static final long SPIN_NANOS = 200_000;
    private static volatile Pool pool = new Pool(Integer.getInteger("steerscope.threads", Runtime.getRuntime().availableProcessors()));

    private Parallel() {}

    public static int threads() {
        return pool.size;
    }

    /** Changes the number of threads (the bench uses it to match PyTorch's). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1");
        if (n == pool.size) return;
        Pool old = pool;
        pool = new Pool(n);
        old.shutdown();
    }

    /** Runs task(i) for i in [0, n); inline when there is one task or one thread, or when the pool is busy. */
    public static void forEach(int n, IntConsumer task) {
        if (n <= 0) return;
        Pool p = pool;
        if (n == 1 || p.size == 1 || !p.busy.compareAndSet(false, true)) {
            for (int i = 0; i < n; i++) task.accept(i);
            return;
        }
        try {
            p.run(n, task);
        } finally {
            p.busy.set(false);
        }
    }

    /**
     * Runs independent jobs side by side when there are at least as many as threads: one thread each, every loop
     * inside a job inline, jobs started in the order given (longest first keeps the cores busy). A small model gains
     * more this way than by splitting each loop (a decode step is hundreds of short loops). With fewer jobs than
     * threads they run one after another on the whole pool. No result depends on the threads a job ran on. The
     * first job's failure is thrown once every job has stopped.
     */
    public static synchronized void sideBySide(List<Runnable> jobs) {
        int threads = threads();
        if (threads == 1 || jobs.size() < threads) {
            for (Runnable job : jobs) job.run();
            return;
        }
        setThreads(1);
        ExecutorService side = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "steerscope-side");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> running = new ArrayList<>();
            for (Runnable job : jobs) running.add(side.submit(job));
            Throwable first = null;
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (first == null) first = e.getCause();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    for (Future<?> g : running) g.cancel(true);
                    throw new IllegalStateException("interrupted while jobs ran side by side", e);
                }
            }
            if (first instanceof RuntimeException re) throw re;
            if (first instanceof Error er) throw er;
            if (first != null) throw new IllegalStateException(first);
        } finally {
            side.shutdownNow();
            setThreads(threads);
        }
    }

    /** Splits [0, total) into chunks of at least {@code grain} and runs body(start, end) on each in parallel. */
    public static void forRange(int total, int grain, RangeBody body) {
        if (total <= 0) return;
        int threads = threads();
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

    /** One parallel loop: indices are handed out one at a time, to whichever thread asks first. */
    private static final class Job {
        final IntConsumer task;
        final int n;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile Throwable error;

        Job(IntConsumer task, int n) {
            this.task = task;
            this.n = n;
        }

        void work() {
            for (int i; (i = next.getAndIncrement()) < n; ) {
                try {
                    task.accept(i);
                } catch (Throwable t) {
                    if (error == null) error = t;
                }
                done.incrementAndGet();
            }
        }
    }

    private static final class Pool {
        final int size;
        final AtomicBoolean busy = new AtomicBoolean();
        final Thread[] workers;
        volatile Job job;
        volatile boolean stop;
        private final AtomicInteger parkedCount = new AtomicInteger();

        Pool(int size) {
            this.size = size;
            this.workers = new Thread[size - 1];
            for (int w = 0; w < workers.length; w++) {
                final int id = w;
                workers[w] = new Thread(() -> workerLoop(id), "steerscope-worker-" + (w + 1));
                workers[w].setDaemon(true);
                workers[w].start();
            }
        }

        void run(int n, IntConsumer task) {
            Job j = new Job(task, n);
            job = j;
            if (parkedCount.get() > 0) for (Thread w : workers) LockSupport.unpark(w);
            j.work();
            while (j.done.get() < n) Thread.onSpinWait();
            Throwable e = j.error;
            if (e instanceof RuntimeException re) throw re;
            if (e instanceof Error er) throw er;
            if (e != null) throw new IllegalStateException(e);
        }

        private void workerLoop(int id) {
            Job last = null;
            while (!stop) {
                Job j = job;
                if (j != last) {
                    last = j;
                    j.work();
                    continue;
                }
                long start = System.nanoTime();
                while (job == last && !stop && System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                if (job != last || stop) continue;
                // announce the park before the last look at job: run() either sees the count and unparks us, or
                // published its job before our look and we do not park
                parkedCount.incrementAndGet();
                if (job == last && !stop) LockSupport.park(this);
                parkedCount.decrementAndGet();
            }
        }

        void shutdown() {
            stop = true;
            for (Thread w : workers) LockSupport.unpark(w);
        }
    }
}
