package steerscope.spark;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Starts the Spark driver for a master URL ({@code local[2]}, {@code spark://host:7077}, {@code k8s://...}).
 * Any {@code spark.*} system property (e.g. {@code -Dspark.executor.memory=8g}) is honoured, as Spark does.
 */
public final class SparkContexts {
    /** The JVM flags our kernels need on every executor: the Vector API and FFM memory-mapping. */
    public static final String EXECUTOR_JAVA_OPTIONS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED";
    private static final String LOG_CONFIG = "steerscope/spark/log4j2.properties";

    private SparkContexts() {}

    public static JavaSparkContext start(String master, String appName) {
        return start(master, appName, java.util.Map.of());
    }

    /** With extra settings (tests: bind addresses, the executors' class path), applied last. */
    public static JavaSparkContext start(String master, String appName, java.util.Map<String, String> settings) {
        // Spark logs at INFO by default; warnings and errors are what a training run wants on stderr
        if (System.getProperty("log4j2.configurationFile") == null) System.setProperty("log4j2.configurationFile", LOG_CONFIG);
        SparkConf conf = new SparkConf().setMaster(master).setAppName(appName);
        conf.setIfMissing("spark.ui.enabled", "false");
        String opts = EXECUTOR_JAVA_OPTIONS + " -Dlog4j2.configurationFile=" + LOG_CONFIG;
        conf.set("spark.executor.extraJavaOptions", (opts + " " + conf.get("spark.executor.extraJavaOptions", "")).trim());
        if (!master.startsWith("local") && !conf.contains("spark.jars")) {
            List<String> jars = ourJars();
            if (!jars.isEmpty()) conf.set("spark.jars", String.join(",", jars));
        }
        settings.forEach(conf::set);
        return new JavaSparkContext(conf);
    }

    /**
     * When running from target/steerscope.jar: the jar and its target/lib dependencies, which Spark ships to
     * executors (the executors have Spark itself). Running from a classes directory (tests), nothing: the
     * executors then need our classes on spark.executor.extraClassPath.
     */
    static List<String> ourJars() {
        List<String> jars = new ArrayList<>();
        try {
            Path self = Path.of(SparkContexts.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(self)) return jars;
            jars.add(self.toString());
            Path lib = self.resolveSibling("lib");
            if (Files.isDirectory(lib)) {
                try (var files = Files.list(lib)) {
                    files.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> jars.add(p.toString()));
                }
            }
        } catch (URISyntaxException | java.io.IOException | SecurityException e) {
            System.err.println("steerscope: cannot locate our jar to ship to executors: " + e.getMessage());
        }
        return jars;
    }
}
