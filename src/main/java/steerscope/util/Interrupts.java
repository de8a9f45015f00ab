package steerscope.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import steerscope.io.FileTrees;

/**
 * What Ctrl-C (SIGINT) or SIGTERM leaves behind. The JVM answers both by running its shutdown hooks while the
 * other threads keep going, so a write could be cut in half or a temp file left over. Writes that must not be
 * cut (an atomic file, a checkpoint) run as {@link #critical} sections; once {@code cli.Main} has {@link #install}ed
 * the hook, a signal waits for the running sections to finish, lets no new one start, removes the temp paths
 * that were {@link #registerTemp}ed, and prints what the command set with {@link #onInterrupt} (how to resume).
 */
public final class Interrupts {
    /** How long a signal waits for a running write; a checkpoint of a large model takes seconds. */
    private static final long WAIT_MILLIS = 120_000;

    private static final Object LOCK = new Object();
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final Set<Path> TEMPS = new LinkedHashSet<>();
    private static int running; // critical sections in progress, over all threads
    private static boolean stopping;
    private static volatile boolean finished;
    private static volatile Supplier<String> hint = () -> null;

    private Interrupts() {}

    /** Installs the shutdown hook; {@link #finished} tells a normal exit apart from a signal. */
    public static void install() {
        Runtime.getRuntime().addShutdownHook(new Thread(Interrupts::onSignal, "steerscope-interrupt"));
    }

    /** The command ended by itself (its exit status says how): the hook then does nothing. */
    public static void finished() {
        finished = true;
    }

    /** What to print after an interrupt: the next step for the user, e.g. the command with --resume. */
    public static void onInterrupt(Supplier<String> message) {
        hint = message;
    }

    /** Runs {@code body} to its end even if a signal arrives meanwhile; after a signal, it does not start. */
    public static void critical(Runnable body) {
        critical(() -> {
            body.run();
            return null;
        });
    }

    public static <T> T critical(Supplier<T> body) {
        int[] depth = DEPTH.get();
        if (depth[0] == 0) {
            synchronized (LOCK) {
                while (stopping) waitQuietly(0); // the JVM is exiting: never start a write it would cut
                running++;
            }
        }
        depth[0]++;
        try {
            return body.get();
        } finally {
            if (--depth[0] == 0) {
                synchronized (LOCK) {
                    running--;
                    LOCK.notifyAll();
                }
            }
        }
    }

    /** A temp file or directory that an interrupt should remove (it is complete only once renamed away). */
    public static void registerTemp(Path p) {
        synchronized (LOCK) {
            TEMPS.add(p.toAbsolutePath());
        }
    }

    public static void unregisterTemp(Path p) {
        synchronized (LOCK) {
            TEMPS.remove(p.toAbsolutePath());
        }
    }

    private static void onSignal() {
        if (finished) return;
        List<Path> temps;
        boolean cut;
        synchronized (LOCK) {
            stopping = true;
            long deadline = System.currentTimeMillis() + WAIT_MILLIS;
            while (running > 0 && System.currentTimeMillis() < deadline) waitQuietly(Math.max(1, deadline - System.currentTimeMillis()));
            cut = running > 0;
            temps = new ArrayList<>(TEMPS);
        }
        for (Path p : temps) deleteTree(p);
        String next = hint.get();
        System.err.println();
        System.err.println("interrupted" + (cut ? " (a write still running after " + WAIT_MILLIS / 1000 + " s was cut off)" : "")
                + (next == null ? "" : "; " + next));
        System.err.flush();
    }

    private static void waitQuietly(long millis) {
        try {
            LOCK.wait(millis);
        } catch (InterruptedException e) {
            // keep waiting: the JVM is exiting, and an interrupted write is what this class prevents
        }
    }

    private static void deleteTree(Path p) {
        try {
            FileTrees.delete(p);
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not remove the temporary " + p + ": " + e.getMessage());
        }
    }
}
