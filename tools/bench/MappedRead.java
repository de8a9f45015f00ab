import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Read bandwidth of a memory-mapped file against the same bytes in a heap array, each summed with the Vector API on
 * T threads (best of 5 passes, after one warm pass that also pulls the file into the page cache): does reading a
 * checkpoint in place cost bandwidth that the bench's STREAM read (heap arrays) does not see?
 *   java --add-modules jdk.incubator.vector tools/bench/MappedRead.java FILE [THREADS] [MAX_BYTES]
 */
public class MappedRead {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        long max = args.length > 2 ? Long.parseLong(args[2]) : Long.MAX_VALUE;
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long bytes = Math.min(ch.size(), max);
            bytes -= bytes % (4L * F.length() * 4 * threads);
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes, arena);
            double mapped = best(threads, bytes, (lo, hi) -> sumSegment(seg, lo, hi));
            int n = (int) Math.min(bytes / 4, Integer.MAX_VALUE - 64);
            n -= n % (F.length() * 4 * threads);
            float[] heap = new float[n];
            MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, heap, 0, n);
            long heapBytes = 4L * n;
            double onHeap = best(threads, heapBytes, (lo, hi) -> sumArray(heap, (int) (lo / 4), (int) (hi / 4)));
            System.out.printf("{\"file\": \"%s\", \"threads\": %d, \"mapped_bytes\": %d, \"mapped_read_gbs\": %.2f, \"heap_bytes\": %d, \"heap_read_gbs\": %.2f}%n",
                    file, threads, bytes, mapped, heapBytes, onHeap);
        }
    }

    interface Range { float sum(long lo, long hi); }

    static double best(int threads, long bytes, Range r) throws InterruptedException {
        double best = 0;
        for (int pass = 0; pass < 6; pass++) {
            long chunk = bytes / threads;
            Thread[] ts = new Thread[threads];
            float[] sink = new float[threads];
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts[t] = Thread.ofPlatform().start(() -> sink[id] = r.sum(id * chunk, (id + 1) * chunk));
            }
            for (Thread t : ts) t.join();
            double gbs = bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
            if (pass > 0) best = Math.max(best, gbs); // the first pass warms the page cache and the JIT
        }
        return best;
    }

    static float sumSegment(MemorySegment s, long lo, long hi) {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        long step = 4L * F.length();
        for (long i = lo; i < hi; i += 4 * step) {
            a = a.add(FloatVector.fromMemorySegment(F, s, i, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, s, i + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(F, s, i + 2 * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(F, s, i + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    static float sumArray(float[] x, int lo, int hi) {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        int L = F.length();
        for (int i = lo; i < hi; i += 4 * L) {
            a = a.add(FloatVector.fromArray(F, x, i));
            b = b.add(FloatVector.fromArray(F, x, i + L));
            c = c.add(FloatVector.fromArray(F, x, i + 2 * L));
            d = d.add(FloatVector.fromArray(F, x, i + 3 * L));
        }
        return a.add(b).add(c).add(d).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
