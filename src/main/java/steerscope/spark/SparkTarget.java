package steerscope.spark;

import steerscope.util.UserError;

/**
 * The {@code --spark} flags of a command: the master URL, how long to wait for a standalone master to answer and
 * grant an executor before giving up with one line, and whether Spark's own log (INFO and up) is shown. No Spark
 * types here, so the commands can hold one without Spark on the class path.
 */
public record SparkTarget(String master, double connectTimeoutSeconds, boolean verbose) {
    /** The default of --spark-connect-timeout, in seconds: a master on the network answers in well under a second. */
    public static final String DEFAULT_CONNECT_TIMEOUT = "10";

    public static SparkTarget of(String master) {
        return new SparkTarget(master, Double.parseDouble(DEFAULT_CONNECT_TIMEOUT), false);
    }

    public SparkTarget {
        if (!(connectTimeoutSeconds > 0)) {
            throw new UserError("--spark-connect-timeout must be a positive number of seconds, got " + (connectTimeoutSeconds == Math.rint(connectTimeoutSeconds) ? String.valueOf((long) connectTimeoutSeconds) : String.valueOf(connectTimeoutSeconds)));
        }
    }
}
