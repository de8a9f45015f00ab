package steerscope.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The thread pool: every index once, errors reach the caller, nested and concurrent loops finish. */
class ParallelTest {
    private final int before = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(before);
    }

    @Test
    void everyIndexRunsExactlyOnceWhateverTheThreadCount() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            Parallel.setThreads(threads);
            assertEquals(threads, Parallel.threads());
            for (int n : new int[] {1, 2, 7, 64, 1000}) {
                for (int rep = 0; rep < 50; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    Parallel.forEach(n, hits::incrementAndGet);
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n + " on " + threads + " threads");
                }
                int[] covered = new int[n];
                Parallel.forRange(n, 3, (a, b) -> {
                    for (int i = a; i < b; i++) covered[i]++;
                });
                for (int i = 0; i < n; i++) assertEquals(1, covered[i], "range index " + i + " of " + n);
            }
        }
    }

    @Test
    void aTaskErrorReachesTheCallerAndThePoolKeepsWorking() {
        Parallel.setThreads(3);
        IllegalArgumentException boom = new IllegalArgumentException("boom");
        IllegalArgumentException got = assertThrows(IllegalArgumentException.class, () -> Parallel.forEach(16, i -> {
            if (i == 11) throw boom;
        }));
        assertSame(boom, got);
        AtomicIntegerArray hits = new AtomicIntegerArray(16);
        Parallel.forEach(16, hits::incrementAndGet);
        for (int i = 0; i < 16; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void nestedAndConcurrentLoopsFinish() throws Exception {
        Parallel.setThreads(2);
        AtomicIntegerArray inner = new AtomicIntegerArray(8 * 8);
        Parallel.forEach(8, i -> Parallel.forEach(8, j -> inner.incrementAndGet(i * 8 + j)));
        for (int i = 0; i < 64; i++) assertEquals(1, inner.get(i));

        // two callers at once (as two Spark task threads): one gets the pool, the other runs on its own thread
        AtomicIntegerArray a = new AtomicIntegerArray(4000), b = new AtomicIntegerArray(4000);
        Thread other = new Thread(() -> {
            for (int rep = 0; rep < 200; rep++) {
                int r = rep;
                Parallel.forEach(20, i -> b.incrementAndGet(r * 20 + i));
            }
        });
        other.start();
        for (int rep = 0; rep < 200; rep++) {
            int r = rep;
            Parallel.forEach(20, i -> a.incrementAndGet(r * 20 + i));
        }
        other.join();
        for (int i = 0; i < 4000; i++) {
            assertEquals(1, a.get(i));
            assertEquals(1, b.get(i));
        }
    }
}
