package steerscope.tensor;

/** The floating-point storage types steerscope reads and computes from (always accumulating in F32). */
public enum DType {
    F32(4), BF16(2), F16(2);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** The safetensors name ("F32", "BF16", "F16"), or null when the name is not one we compute with. */
    public static DType fromSafetensors(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "BF16" -> BF16;
            case "F16" -> F16;
            default -> null;
        };
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Round to nearest even, as torch does when casting F32 to BF16. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
