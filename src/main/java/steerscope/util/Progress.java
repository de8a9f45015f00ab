package steerscope.util;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long job on stderr: a redrawn bar with rate and ETA on a terminal, a plain log line every few
 * seconds otherwise (CI logs, pipes). The status text is free-form (e.g. "reward 0.41 acc 0.38").
 */
public final class Progress {
    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean tty;
    private final long startNanos = System.nanoTime();
    private long lastPrint = 0;
    private long done;
    private final long firstDone;

    public Progress(String label, long total, long alreadyDone) {
        this(label, total, alreadyDone, System.err, System.console() != null && !"dumb".equals(System.getenv("TERM")));
    }

    public Progress(String label, long total, long alreadyDone, PrintStream out, boolean tty) {
        this.label = label;
        this.total = total;
        this.out = out;
        this.tty = tty;
        this.done = alreadyDone;
        this.firstDone = alreadyDone;
    }

    /** Records that {@code done} units are complete, with a status text. */
    public void update(long done, String status) {
        this.done = done;
        long now = System.nanoTime();
        boolean last = done >= total;
        if (!last && now - lastPrint < (tty ? 200_000_000L : 5_000_000_000L)) return;
        lastPrint = now;
        double secs = (now - startNanos) / 1e9;
        double rate = secs > 0 ? (done - firstDone) / secs : 0;
        double eta = rate > 0 ? (total - done) / rate : Double.NaN;
        String timing = String.format(Locale.ROOT, "%.2f/s, elapsed %s, eta %s", rate, clock(secs), Double.isNaN(eta) ? "?" : clock(eta));
        if (tty) {
            int width = 24, filled = total > 0 ? (int) (width * Math.min(1.0, (double) done / total)) : 0;
            out.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total
                    + " " + timing + (status.isEmpty() ? "" : " | " + status) + "\u001b[K");
            if (last) out.println();
        } else {
            out.println(label + " " + done + "/" + total + " " + timing + (status.isEmpty() ? "" : " | " + status));
        }
        out.flush();
    }

    static String clock(double secs) {
        long s = Math.round(secs);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
