package steerscope.verify;

/**
 * The time limit of one comparison. Parsing and evaluation call {@link #check()} at every node, so a hostile
 * answer (a huge or deeply nested expression) ends the comparison with {@link Exceeded} instead of hanging a
 * training step. Parsing also stops at {@link #MAX_NODES} nodes per answer (no answer is that long, and evaluation recurses
 * over the tree), and exact arithmetic gives up on numbers of more than {@link #MAX_BITS} bits.
 */
final class Budget {
    static final int MAX_BITS = 4096;
    static final int MAX_DEPTH = 400;
    static final int MAX_NODES = 2_000;

    private final long deadline;

    Budget(long nanos) {
        this.deadline = System.nanoTime() + nanos;
    }

    void check() {
        if (System.nanoTime() > deadline) {
            throw new Exceeded();
        }
    }

    /** Thrown when the comparison's time is up; the verdict is then "incorrect, timeout". */
    static final class Exceeded extends RuntimeException {
        Exceeded() {
            super("time limit exceeded", null, false, false);
        }
    }
}
