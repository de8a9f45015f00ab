package steerscope.tensor;

import steerscope.util.UserError;

/**
 * Which kernels run the matmuls (the products of prefill, decode, the training forward and both backward
 * products); everything else always runs on the Java kernels.
 * <ul>
 *   <li>{@link #JAVA}: the Vector API kernels. Deterministic at any thread count and batch invariant: a row's
 *       result is bit-identical alone and inside any batch.</li>
 *   <li>{@link #NATIVE}: oneDNN through {@link NativeMatmul} for products of at least {@link #NATIVE_MIN_ROWS}
 *       activation rows with BF16 or F32 weights (smaller products and F16 weights stay on the Java kernels).
 *       Deterministic run to run at a fixed thread count, not batch invariant (oneDNN blocks a product by its
 *       number of rows, so a row's last bits can depend on the rows beside it). As accurate as the Java kernels
 *       (F32 activations, F32 accumulation; see {@link NativeMatmul} for BF16 weights).</li>
 * </ul>
 * The process-wide choice; {@link #JAVA} until a command selects another (the CLI's {@code --kernels}).
 */
public enum Backend {
    JAVA, NATIVE;

    public static final String INSTALL_HINT = "install Debian's libdnnl2 (sudo apt-get install libdnnl2, or scripts/setup-bench-deps)";
    private static volatile Backend current = JAVA;
    private static volatile boolean warned;

    public static Backend current() {
        return current;
    }

    /** Selects b (native products from {@link #NATIVE_MIN_ROWS} rows); NATIVE needs the library (IllegalStateException otherwise). */
    public static void use(Backend b) {
        use(b, NATIVE_MIN_ROWS);
    }

    /** Selects b, with native products from minRows activation rows (tests pass 1: every product on oneDNN). */
    public static void use(Backend b, int minRows) {
        if (b == NATIVE && !NativeMatmul.available()) {
            throw new IllegalStateException("oneDNN is not available (" + NativeMatmul.loadError() + "): " + INSTALL_HINT);
        }
        nativeMinRows = minRows;
        current = b;
    }

    /**
     * Selects the backend named by the {@code --kernels} option, "java", "native" or "auto" (native when
     * libdnnl.so.2 loads, else java with one line on stderr saying so and how to install it).
     */
    public static Backend select(String choice) {
        Backend b = switch (choice) {
            case "java" -> JAVA;
            case "native" -> {
                if (!NativeMatmul.available()) {
                    throw new UserError("--kernels native: oneDNN (" + Dnnl.LIBRARY + ") could not be loaded (" + NativeMatmul.loadError() + "); " + INSTALL_HINT);
                }
                yield NATIVE;
            }
            case "auto" -> {
                if (NativeMatmul.available()) yield NATIVE;
                if (!warned) {
                    warned = true;
                    System.err.println("steerscope: oneDNN (" + Dnnl.LIBRARY + ") not found, matmuls run on the Java kernels; for the native ones " + INSTALL_HINT);
                }
                yield JAVA;
            }
            default -> throw new UserError("--kernels: expected java, native or auto, got '" + choice + "'");
        };
        use(b);
        return b;
    }

    /**
     * Fewest activation rows for which a product goes to oneDNN. Below it (decode steps, short prompts) the Java
     * kernels stay: oneDNN 2.6's BF16 matmul pads a few rows to a full block and was several times slower per
     * CPU-second there (docs/performance.md, tools/bench/products.sh), while the Java matvec runs near the read bandwidth.
     */
    public static final int NATIVE_MIN_ROWS = 256;
    private static volatile int nativeMinRows = NATIVE_MIN_ROWS;

    /** Whether a product of n activation rows with weights w runs natively now. */
    static boolean nativeFor(Mat w, int n) {
        return current == NATIVE && n >= nativeMinRows && NativeMatmul.supports(w);
    }

    /** Whether a weight gradient over n rows runs natively now. */
    static boolean nativeFor(int n) {
        return current == NATIVE && n >= nativeMinRows;
    }

    /** One line for reports: "native (oneDNN 2.6.3 (OpenMP), avx512_core_bf16)" or "java (Vector API, 16 float lanes)". */
    public static String describe() {
        return current == NATIVE ? "native (" + NativeMatmul.version() + ", ISA " + NativeMatmul.isa() + ")"
                : "java (Vector API, " + Kernels.L + " float lanes)";
    }
}
