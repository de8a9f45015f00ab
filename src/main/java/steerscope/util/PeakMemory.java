package steerscope.util;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/** How much memory this process has used at most so far. */
public final class PeakMemory {
    private PeakMemory() {}

    /**
     * VmHWM: the peak resident set of this process (mapped weights that were touched count, as for torch), or -1
     * where /proc/self/status does not say (not Linux).
     */
    public static long rssBytes() {
        return statusBytes("VmHWM");
    }

    /**
     * A size field of /proc/self/status in bytes (VmHWM, the peak resident set; RssFile, the resident pages of mapped
     * files such as the weights; RssAnon, the rest: heap, native buffers, the JIT), or -1 where it does not say.
     */
    public static long statusBytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** The Java heap's peak: each heap pool's own peak, summed (an upper bound, as the pools need not peak together). */
    public static long heapBytes() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        return peak;
    }

    /** The Java heap's committed peak (memory the heap held from the OS, used or not), summed over its pools likewise. */
    public static long heapCommittedBytes() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getCommitted();
        return peak;
    }
}
