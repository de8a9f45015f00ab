package steerscope.spark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import steerscope.model.Checkpoint;
import steerscope.model.HfModelExport;
import steerscope.model.Model;
import steerscope.model.SteeringVectors;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.TinyPolicy;
import steerscope.rl.reward.Reward;
import steerscope.task.Problem;
import steerscope.tokenizer.Tokenizer;

/** The tiny random Qwen2 model of the RL tests, saved as a real checkpoint directory that executors load. */
final class SparkTestKit {
    final Path modelDir;
    final Model model;
    final ModelSpec spec;
    final List<Problem> problems = new ArrayList<>();

    SparkTestKit(Path dir, long seed) {
        TinyPolicy tiny = new TinyPolicy(dir, seed);
        modelDir = dir.resolve("model");
        HfModelExport.write(tiny.vectors().model, modelDir); // config.json, model.safetensors, tokenizer.json
        model = Model.load(modelDir);
        spec = ModelSpec.of(modelDir, "{question}", null, true);
        String[] qs = {"Say something.", "Please answer now.", "What comes first?", "Reply with one letter."};
        for (int i = 0; i < 8; i++) problems.add(new Problem("p" + i, qs[i % qs.length] + (i >= 4 ? " Again." : ""), "a"));
    }

    /** The same policy as the executors build, on the driver's own copy of the model. */
    Policy policy() {
        var loaded = new Checkpoint(model, Tokenizer.load(modelDir.resolve("tokenizer.json")), null);
        return Policy.ofVectors(model, SteeringVectors.zeros(model.config.nLayers(), model.config.hiddenSize(), null),
                loaded.tokenizer(), spec.prompts(loaded));
    }

    static RlConfig config(int steps) {
        return RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().group(4).promptsPerStep(6).steps(steps).lr(0.05).maxNewTokens(3).microBatch(5).checkpointEvery(2).seed(11).build();
    }

    /** 1 when the completion starts with a lowercase letter: about one sample in ten of the random model, so groups differ. */
    static final class LowercaseFirst implements Reward {
        @Override
        public String name() {
            return "lowercase_first";
        }

        @Override
        public double score(Problem p, String completion) {
            return !completion.isEmpty() && Character.isLowerCase(completion.charAt(0)) ? 1 : 0;
        }
    }

    static RewardFactory rewards() {
        return () -> new RewardFactory.Rewards(new LowercaseFirst(), new LowercaseFirst());
    }

    /** Driver settings for tests: loopback only, no UI. */
    static Map<String, String> loopback() {
        return Map.of("spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1", "spark.ui.enabled", "false");
    }

    static float maxAbsDiff(SteeringVectors a, SteeringVectors b) {
        float m = 0;
        for (int l : a.layers()) for (int i = 0; i < a.dModel(); i++) m = Math.max(m, Math.abs(a.get(l)[i] - b.get(l)[i]));
        return m;
    }

    static float maxAbs(SteeringVectors a) {
        float m = 0;
        for (int l : a.layers()) for (float x : a.get(l)) m = Math.max(m, Math.abs(x));
        return m;
    }

    /** A Spark daemon (master, worker) in its own JVM with this JVM's class path; its output goes to dir/NAME.log. */
    static Process startJvm(Path dir, String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-modules") || a.startsWith("--enable-native-access") || a.startsWith("--sun-misc")) cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        // The worker builds each executor's command line from SPARK_HOME/jars (empty here: the executor's class
        // path is spark.executor.extraClassPath) and needs the Scala version it would otherwise read from a build.
        Path home = dir.resolve("spark-home");
        Files.createDirectories(home.resolve("jars"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
