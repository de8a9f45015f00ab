package steerscope.cli;

import picocli.CommandLine.Option;
import steerscope.spark.SparkTarget;

/** The flags that go with --spark: how long to wait for the master, and Spark's own log. */
final class SparkOptions {
    @Option(names = "--spark-connect-timeout", paramLabel = "SECONDS", defaultValue = SparkTarget.DEFAULT_CONNECT_TIMEOUT,
            description = "With --spark spark://...: give up when the master does not answer, or grants no executor, within this many "
                    + "seconds from the start of Spark here (default: ${DEFAULT-VALUE}).") double connectTimeout;
    @Option(names = "--verbose", description = "With --spark: show Spark's own log (INFO and up), not only its errors.") boolean verbose;

    SparkTarget target(String master) {
        return new SparkTarget(master, connectTimeout, verbose);
    }
}
