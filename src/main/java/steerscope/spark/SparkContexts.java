package steerscope.spark;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import steerscope.util.UserError;

/**
 * Starts the Spark driver for a master URL ({@code local[2]}, {@code spark://host:7077}, {@code k8s://...}).
 * Any {@code spark.*} system property (e.g. {@code -Dspark.executor.memory=8g}) is honoured, as Spark does.
 */
public final class SparkContexts {
    /**
     * The JVM flags our kernels need on every executor (the Vector API and FFM memory-mapping), and the one that
     * keeps JDK 24+ from warning about Spark's own use of sun.misc.Unsafe (the launcher gives the driver the same).
     */
    public static final String EXECUTOR_JAVA_OPTIONS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "
            + "--sun-misc-unsafe-memory-access=allow";
    private static final String LOG_CONFIG = "steerscope/spark/log4j2.properties";
    /** The level log4j2.properties reads: error, or info with --verbose. */
    private static final String LOG_LEVEL = "steerscope.spark.log";

    private SparkContexts() {}

    public static JavaSparkContext start(String master, String appName) {
        return start(SparkTarget.of(master), appName, Map.of());
    }

    /** With extra settings (tests: bind addresses, the executors' class path), applied last. */
    public static JavaSparkContext start(String master, String appName, Map<String, String> settings) {
        return start(SparkTarget.of(master), appName, settings);
    }

    /**
     * Starts the driver; for a standalone master (spark://), first checks that it answers and afterwards that it
     * grants an executor, all within the target's timeout, and otherwise fails with one line saying which.
     */
    public static JavaSparkContext start(SparkTarget target, String appName, Map<String, String> settings) {
        String master = target.master();
        long deadline = System.nanoTime() + (long) (target.connectTimeoutSeconds() * 1e9);
        boolean standalone = master.startsWith("spark://");
        if (standalone) probe(target, deadline);
        // Spark logs at INFO by default; a run wants only its errors on stderr unless asked
        if (System.getProperty(LOG_LEVEL) == null) System.setProperty(LOG_LEVEL, target.verbose() ? "info" : "error");
        if (System.getProperty("log4j2.configurationFile") == null) System.setProperty("log4j2.configurationFile", LOG_CONFIG);
        SparkConf conf = new SparkConf().setMaster(master).setAppName(appName);
        conf.setIfMissing("spark.ui.enabled", "false");
        String opts = EXECUTOR_JAVA_OPTIONS + " -Dlog4j2.configurationFile=" + LOG_CONFIG + " -D" + LOG_LEVEL + "=" + System.getProperty(LOG_LEVEL);
        conf.set("spark.executor.extraJavaOptions", (opts + " " + conf.get("spark.executor.extraJavaOptions", "")).trim());
        if (!master.startsWith("local") && !conf.contains("spark.jars")) {
            List<String> jars = ourJars();
            if (!jars.isEmpty()) conf.set("spark.jars", String.join(",", jars));
        }
        settings.forEach(conf::set);
        if (!standalone) return new JavaSparkContext(conf);
        JavaSparkContext sc = registered(conf, target, deadline);
        awaitExecutor(sc, conf, target, deadline);
        return sc;
    }

    /** The master's host and port accept a TCP connection (one of them, for a list of masters). */
    private static void probe(SparkTarget target, long deadline) {
        String why = "no host in the URL";
        for (String hostPort : target.master().substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new UserError("--spark " + target.master() + ": '" + hostPort.substring(colon + 1) + "' is not a port number");
            }
            int millis = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), millis);
                return;
            } catch (UnknownHostException e) {
                why = "unknown host " + host;
            } catch (SocketTimeoutException e) {
                why = "no answer from " + host + ":" + port + " within " + seconds(target);
            } catch (ConnectException e) {
                why = "connection refused by " + host + ":" + port;
            } catch (IOException e) {
                why = host + ":" + port + ": " + e.getMessage();
            }
        }
        throw new UserError("cannot reach the Spark master " + target.master() + ": " + why);
    }

    /** Creates the context, which blocks until the master registers the application (Spark itself retries for a minute). */
    private static JavaSparkContext registered(SparkConf conf, SparkTarget target, long deadline) {
        CompletableFuture<JavaSparkContext> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(new JavaSparkContext(conf));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "steerscope-spark-start");
        t.setDaemon(true); // when the master never answers, the exit does not wait for Spark's own retries
        t.start();
        try {
            return f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new UserError("the Spark master " + target.master() + " accepts connections but did not register the application within "
                    + seconds(target) + " (is it a Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION() + " master? a busy one may need a "
                    + "longer --spark-connect-timeout)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while starting Spark on " + target.master());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Waits for the first executor; a master with no free worker would otherwise leave every job waiting silently. */
    private static void awaitExecutor(JavaSparkContext sc, SparkConf conf, SparkTarget target, long deadline) {
        try {
            while (sc.sc().statusTracker().getExecutorInfos().length < 2) { // the driver counts as one
                if (System.nanoTime() > deadline) {
                    String asked = "spark.executor.memory=" + conf.get("spark.executor.memory", "1g") + ", spark.executor.cores="
                            + conf.get("spark.executor.cores", "all of a worker's") + ", spark.cores.max=" + conf.get("spark.cores.max", "unlimited");
                    sc.stop();
                    throw new UserError("the Spark master " + target.master() + " granted no executor within " + seconds(target) + " (asked for "
                            + asked + "); check that a worker is alive with that much free memory and cores, or give a longer --spark-connect-timeout");
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sc.stop();
            throw new UserError("interrupted while waiting for Spark executors on " + target.master());
        }
    }

    private static String seconds(SparkTarget target) {
        return BigDecimal.valueOf(target.connectTimeoutSeconds()).stripTrailingZeros().toPlainString() + " s";
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
        } catch (URISyntaxException | IOException | SecurityException e) {
            System.err.println("steerscope: cannot locate our jar to ship to executors: " + e.getMessage());
        }
        return jars;
    }
}
