package steerscope.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
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

    /**
     * Jobs side by side: each runs once on its own thread with its loops inline (the pool has one thread meanwhile),
     * the pool gets its threads back, and a failing job's exception reaches the caller after the others finish.
     */
    @Test
    void jobsSideBySideRunOnceEachAndTheirFailureReachesTheCaller() {
        Parallel.setThreads(2);
        int[] poolSizeInside = new int[3];
        String[] thread = new String[3];
        AtomicIntegerArray hits = new AtomicIntegerArray(3);
        List<Runnable> jobs = new ArrayList<>();
        for (int j = 0; j < 3; j++) {
            int id = j;
            jobs.add(() -> {
                hits.incrementAndGet(id);
                poolSizeInside[id] = Parallel.threads();
                thread[id] = Thread.currentThread().getName();
                int[] covered = new int[100];
                Parallel.forRange(100, 3, (a, b) -> {
                    for (int i = a; i < b; i++) covered[i]++;
                });
                for (int c : covered) assertEquals(1, c);
            });
        }
        Parallel.sideBySide(jobs);
        String caller = Thread.currentThread().getName();
        for (int j = 0; j < 3; j++) {
            assertEquals(1, hits.get(j), "job " + j);
            assertEquals(1, poolSizeInside[j], "job " + j + " ran with its loops inline");
            assertNotEquals(caller, thread[j], "job " + j + " ran on a thread of its own");
        }
        assertEquals(2, Parallel.threads(), "the pool has its threads back");

        AtomicIntegerArray ran = new AtomicIntegerArray(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.sideBySide(List.of(
                () -> { throw new IllegalStateException("job 0 failed"); },
                () -> ran.incrementAndGet(1))));
        assertEquals("job 0 failed", e.getMessage());
        assertEquals(1, ran.get(1), "the other job still ran");
        assertEquals(2, Parallel.threads());

        Parallel.setThreads(4); // fewer jobs than threads: one after another, on the caller, with the whole pool
        String[] single = new String[1];
        Parallel.sideBySide(List.of(() -> single[0] = Thread.currentThread().getName() + "/" + Parallel.threads()));
        assertEquals(caller + "/4", single[0]);
    }
}
