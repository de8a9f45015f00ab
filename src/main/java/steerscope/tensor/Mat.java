package steerscope.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A row-major matrix [rows, cols] of weights, either memory-mapped in its stored dtype (F32, BF16, F16:
 * a BF16 checkpoint stays 2 bytes a weight) or, for weights being trained, an F32 heap array.
 * Kernels read it a row at a time through {@link #loadRow}, which converts to F32.
 */
public final class Mat {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = F.length() == 16 ? ShortVector.SPECIES_256
            : F.length() == 8 ? ShortVector.SPECIES_128 : ShortVector.SPECIES_64;
    private static final VectorSpecies<Integer> I = F.length() == 16 ? IntVector.SPECIES_512
            : F.length() == 8 ? IntVector.SPECIES_256 : IntVector.SPECIES_128;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public final int rows, cols;
    public final DType dtype;
    private final MemorySegment segment; // null when heap-backed
    private final float[] array;         // null when mapped

    private Mat(int rows, int cols, DType dtype, MemorySegment segment, float[] array) {
        this.rows = rows;
        this.cols = cols;
        this.dtype = dtype;
        this.segment = segment;
        this.array = array;
    }

    public static Mat mapped(MemorySegment segment, DType dtype, int rows, int cols) {
        if (segment.byteSize() != (long) rows * cols * dtype.bytes) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes for " + rows + "x" + cols + " " + dtype);
        }
        return new Mat(rows, cols, dtype, segment, null);
    }

    public static Mat of(float[] array, int rows, int cols) {
        if (array.length != rows * cols) throw new IllegalArgumentException(array.length + " values for " + rows + "x" + cols);
        return new Mat(rows, cols, DType.F32, null, array);
    }

    public static Mat zeros(int rows, int cols) {
        return of(new float[rows * cols], rows, cols);
    }

    /** The F32 values when heap-backed (trainable), else null. */
    public float[] array() {
        return array;
    }

    public boolean isHeap() {
        return array != null;
    }

    /** An F32 heap copy (full fine-tuning upcasts BF16 weights to train them in F32). */
    public Mat toF32Copy() {
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) loadRow(r, out, r * cols);
        return of(out, rows, cols);
    }

    public float get(int r, int c) {
        long i = (long) r * cols + c;
        if (array != null) return array[(int) i];
        return switch (dtype) {
            case F32 -> segment.getAtIndex(FLOAT_LE, i);
            case BF16 -> DType.bf16ToFloat(segment.getAtIndex(SHORT_LE, i));
            case F16 -> Float.float16ToFloat(segment.getAtIndex(SHORT_LE, i));
        };
    }

    /** Converts row r to F32 into dst[off, off + cols). */
    public void loadRow(int r, float[] dst, int off) {
        loadRows(r, 1, dst, off);
    }

    /** Converts rows [r, r+n) to F32 into dst starting at off (contiguous, n * cols values). */
    public void loadRows(int r, int n, float[] dst, int off) {
        convert((long) r * cols, n * cols, dst, off);
    }

    /** Converts the block rows [r, r+n) x columns [c, c+nc) to F32 into dst from off, nc values a row. */
    public void loadBlock(int r, int n, int c, int nc, float[] dst, int off) {
        for (int i = 0; i < n; i++) convert((long) (r + i) * cols + c, nc, dst, off + i * nc);
    }

    /** Converts count consecutive values from flat index start to F32. */
    private void convert(long start, int count, float[] dst, int off) {
        if (array != null) {
            System.arraycopy(array, (int) start, dst, off, count);
            return;
        }
        switch (dtype) {
            case F32 -> MemorySegment.copy(segment, FLOAT_LE, start * 4, dst, off, count);
            case BF16 -> {
                int i = 0;
                int bound = count - S.length() + 1;
                long base = start * 2;
                for (; i < bound; i += S.length()) {
                    ShortVector s = ShortVector.fromMemorySegment(S, segment, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
                    IntVector w = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
                    w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, off + i);
                }
                for (; i < count; i++) dst[off + i] = DType.bf16ToFloat(segment.getAtIndex(SHORT_LE, start + i));
            }
            case F16 -> {
                for (int i = 0; i < count; i++) dst[off + i] = Float.float16ToFloat(segment.getAtIndex(SHORT_LE, start + i));
            }
        }
    }

    /** The mapped bytes (null when heap-backed), for kernels that read BF16 directly. */
    MemorySegment segment() {
        return segment;
    }

    /** L BF16 values at byte offset off of seg, as floats (a BF16 is the top half of an F32). */
    static FloatVector bf16(MemorySegment seg, long off) {
        ShortVector s = ShortVector.fromMemorySegment(S, seg, off, ByteOrder.LITTLE_ENDIAN);
        return ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    public long bytes() {
        return (long) rows * cols * dtype.bytes;
    }
}
