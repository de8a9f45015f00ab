package steerscope.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Hand-written {@code java.lang.foreign} bindings to the part of oneDNN 2.x's C API (Debian's {@code libdnnl2},
 * {@code dnnl.h} / {@code dnnl_types.h} of version 2.6.3) that {@link NativeMatmul} calls, and to the OpenMP
 * runtime oneDNN is built with there ({@code libgomp}, for the thread count). Only bindings: no policy here.
 * The struct sizes and enum values below are those of the 2.x headers (a 3.x library has other names and is
 * not bound).
 */
final class Dnnl {
    static final String LIBRARY = "libdnnl.so.2";
    /** sizeof(dnnl_memory_desc_t) and sizeof(dnnl_matmul_desc_t) in 2.6 (both passed by pointer, never read here). */
    static final long MEMORY_DESC_BYTES = 696, MATMUL_DESC_BYTES = 2800;
    static final int ENGINE_CPU = 1, STREAM_DEFAULT_FLAGS = 1;
    static final int DT_BF16 = 2, DT_F32 = 3;
    /** Format tags: ab is row-major [d0, d1]; ba has d0 innermost (the transpose of a row-major matrix). */
    static final int TAG_AB = 3, TAG_BA = 22;
    static final int ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_SCRATCHPAD = 80;
    static final int QUERY_IMPL_INFO_STR = 8, QUERY_SCRATCHPAD_MD = 136;
    static final int SCRATCHPAD_MODE_USER = 1;
    static final int RUNTIME_SEQ = 1, RUNTIME_OMP = 2, RUNTIME_TBB = 4;

    private static final ValueLayout.OfLong DIM = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDR = ValueLayout.ADDRESS, INT = ValueLayout.JAVA_INT;

    final MethodHandle engineCreate, streamCreate, memoryDescInitByTag, matmulDescInit, primitiveDescCreate,
            primitiveDescQuery, primitiveDescDestroy, primitiveCreate, primitiveExecute, memoryCreate, memorySetDataHandle,
            effectiveCpuIsa, version, ompSetNumThreads, ompGetMaxThreads, attrCreate, attrSetScratchpadMode, primitiveDescQueryMd,
            memoryDescGetSize;

    private Dnnl(SymbolLookup dnnl, SymbolLookup gomp) {
        Linker linker = Linker.nativeLinker();
        engineCreate = bind(linker, dnnl, "dnnl_engine_create", FunctionDescriptor.of(INT, ADDR, INT, ValueLayout.JAVA_LONG));
        streamCreate = bind(linker, dnnl, "dnnl_stream_create", FunctionDescriptor.of(INT, ADDR, ADDR, INT));
        memoryDescInitByTag = bind(linker, dnnl, "dnnl_memory_desc_init_by_tag", FunctionDescriptor.of(INT, ADDR, INT, ADDR, INT, INT));
        matmulDescInit = bind(linker, dnnl, "dnnl_matmul_desc_init", FunctionDescriptor.of(INT, ADDR, ADDR, ADDR, ADDR, ADDR));
        primitiveDescCreate = bind(linker, dnnl, "dnnl_primitive_desc_create", FunctionDescriptor.of(INT, ADDR, ADDR, ADDR, ADDR, ADDR));
        primitiveDescQuery = bind(linker, dnnl, "dnnl_primitive_desc_query", FunctionDescriptor.of(INT, ADDR, INT, INT, ADDR));
        primitiveDescDestroy = bind(linker, dnnl, "dnnl_primitive_desc_destroy", FunctionDescriptor.of(INT, ADDR));
        primitiveCreate = bind(linker, dnnl, "dnnl_primitive_create", FunctionDescriptor.of(INT, ADDR, ADDR));
        primitiveExecute = bind(linker, dnnl, "dnnl_primitive_execute", FunctionDescriptor.of(INT, ADDR, ADDR, INT, ADDR));
        memoryCreate = bind(linker, dnnl, "dnnl_memory_create", FunctionDescriptor.of(INT, ADDR, ADDR, ADDR, ADDR));
        memorySetDataHandle = bind(linker, dnnl, "dnnl_memory_set_data_handle", FunctionDescriptor.of(INT, ADDR, ADDR));
        attrCreate = bind(linker, dnnl, "dnnl_primitive_attr_create", FunctionDescriptor.of(INT, ADDR));
        attrSetScratchpadMode = bind(linker, dnnl, "dnnl_primitive_attr_set_scratchpad_mode", FunctionDescriptor.of(INT, ADDR, INT));
        primitiveDescQueryMd = bind(linker, dnnl, "dnnl_primitive_desc_query_md", FunctionDescriptor.of(ADDR, ADDR, INT, INT));
        memoryDescGetSize = bind(linker, dnnl, "dnnl_memory_desc_get_size", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ADDR));
        effectiveCpuIsa = bind(linker, dnnl, "dnnl_get_effective_cpu_isa", FunctionDescriptor.of(INT));
        version = bind(linker, dnnl, "dnnl_version", FunctionDescriptor.of(ADDR));
        ompSetNumThreads = gomp == null ? null : bind(linker, gomp, "omp_set_num_threads", FunctionDescriptor.ofVoid(INT));
        ompGetMaxThreads = gomp == null ? null : bind(linker, gomp, "omp_get_max_threads", FunctionDescriptor.of(INT));
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lib, String name, FunctionDescriptor fd) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new IllegalStateException(LIBRARY + " has no symbol " + name));
        return linker.downcallHandle(sym, fd);
    }

    /** The bindings; throws IllegalArgumentException when the library cannot be loaded, IllegalStateException when a symbol is missing. */
    static Dnnl load() {
        SymbolLookup dnnl = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        SymbolLookup gomp;
        try {
            gomp = SymbolLookup.libraryLookup("libgomp.so.1", Arena.global()); // already mapped by libdnnl: the same runtime
        } catch (IllegalArgumentException e) {
            gomp = null; // a TBB or sequential build: no OpenMP to configure
        }
        return new Dnnl(dnnl, gomp);
    }

    /** Throws when a oneDNN call returned a status other than dnnl_success (0). */
    static void check(int status, String call) {
        if (status != 0) throw new IllegalStateException("oneDNN " + call + " failed with status " + status);
    }

    /** "avx512_core_bf16" and the like, from dnnl_cpu_isa_t (dnnl_types.h). */
    static String isaName(int isa) {
        return switch (isa) {
            case 0x1 -> "sse41";
            case 0x3 -> "avx";
            case 0x7 -> "avx2";
            case 0x407 -> "avx2_vnni";
            case 0xf -> "avx512_mic";
            case 0x1f -> "avx512_mic_4ops";
            case 0x27 -> "avx512_core";
            case 0x67 -> "avx512_core_vnni";
            case 0xe7 -> "avx512_core_bf16";
            case 0x3e7 -> "avx512_core_amx";
            default -> String.format("isa 0x%x", isa);
        };
    }

    /** dims of a 2-D memory descriptor as a dnnl_dims_t (12 int64s). */
    static MemorySegment dims(Arena arena, long d0, long d1) {
        MemorySegment d = arena.allocate(DIM, 12);
        d.setAtIndex(DIM, 0, d0);
        d.setAtIndex(DIM, 1, d1);
        return d;
    }
}
