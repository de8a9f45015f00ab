package steerscope.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.RolloutStep;
import steerscope.rl.Trainer;
import steerscope.rl.reward.Reward;
import steerscope.task.Problem;

/**
 * A real standalone cluster: a Spark master and a worker started as separate JVMs from the Maven jars, the
 * executor a third JVM that the worker launches, the driver in this JVM. RL steps on it equal the single-machine
 * run; then the executor process is killed during a run and the result is still the same.
 */
class StandaloneClusterTest {
    private final List<Process> started = new ArrayList<>();

    @Test
    void rlStepsOnAStandaloneClusterEqualOneMachineEvenWhenTheExecutorIsKilled(@TempDir Path dir) throws Exception {
        SparkTestKit kit = new SparkTestKit(dir, 9);
        RlConfig cfg = SparkTestKit.config(3);
        RewardFactory.Rewards r = SparkTestKit.rewards().create();
        Policy single = kit.policy();
        new Trainer(cfg, single, kit.problems, r.reward(), r.correctness(), dir.resolve("single"), Map.of()).run(false);

        try {
            int masterPort = freePort(), masterUi = freePort();
            Process master = startJvm(dir, "master", "org.apache.spark.deploy.master.Master",
                    "--host", "127.0.0.1", "--port", String.valueOf(masterPort), "--webui-port", String.valueOf(masterUi));
            String masterUrl = "spark://127.0.0.1:" + masterPort;
            Process worker = startJvm(dir, "worker", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--port", String.valueOf(freePort()), "--webui-port", String.valueOf(freePort()), "--cores", "2", "--memory", "2g",
                    "--work-dir", dir.resolve("work").toString(), masterUrl);
            waitForAliveWorker(masterUi, dir);

            Map<String, String> settings = new HashMap<>(SparkTestKit.loopback());
            // the executors need our classes (and Spark's): this JVM's class path, valid on this one machine
            settings.put("spark.executor.extraClassPath", System.getProperty("java.class.path"));
            settings.put("spark.executor.memory", "1g");
            settings.put("spark.cores.max", "2");
            // no wall-clock bound: the JUnit default timeout (junit-platform.properties) is the hang guard
            try (JavaSparkContext sc = SparkContexts.start(new SparkTarget(masterUrl, 120, false), "standalone-test", settings)) {
                AtomicInteger failedTasks = new AtomicInteger();
                sc.sc().addSparkListener(new SparkListener() {
                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd e) {
                        if (!e.taskInfo().successful()) failedTasks.incrementAndGet();
                    }
                });
                // 1. plain run on the cluster, with partition 0's first attempt failing every step
                sc.setLocalProperty(SparkStep.FAIL_FIRST_ATTEMPT, "true");
                Policy onCluster = kit.policy();
                SparkStep step = new SparkStep(sc, kit.spec, SparkTestKit.rewards(), cfg, onCluster.vectors, kit.model.config, 2);
                Trainer t = new Trainer(cfg, onCluster, kit.problems, r.reward(), r.correctness(), dir.resolve("cluster"), Map.of());
                t.setStepFunction(step);
                t.run(false);
                sc.setLocalProperty(SparkStep.FAIL_FIRST_ATTEMPT, null);
                assertClose(single, onCluster, "cluster vs single machine");
                waitUntil(() -> failedTasks.get() >= cfg.steps(), 120, "the listener sees the injected failures");
                System.out.printf("traffic per step: %s%n", step.lastTraffic());

                // 2. kill the executor JVM while a run is going: slow rewards make each step last a few seconds
                Policy killed = kit.policy();
                AtomicInteger stepsStarted = new AtomicInteger();
                Path scoring = dir.resolve("scoring"); // the executor touches it at each reward it computes
                SparkStep slow = new SparkStep(sc, kit.spec, SlowRewards.factory(scoring.toString()), cfg, killed.vectors, kit.model.config, 2);
                Trainer t2 = new Trainer(cfg, killed, kit.problems, r.reward(), r.correctness(), dir.resolve("killed"), Map.of());
                t2.setStepFunction((items, seed, into) -> {
                    stepsStarted.incrementAndGet();
                    return slow.compute(items, seed, into);
                });
                AtomicReference<Long> killedPid = new AtomicReference<>();
                Thread killer = new Thread(() -> {
                    try {
                        while (stepsStarted.get() < 2) Thread.sleep(20);
                        Files.deleteIfExists(scoring);
                        while (!Files.exists(scoring)) Thread.sleep(5); // an event: an executor task is scoring now
                        executor(worker).ifPresent(p -> {
                            killedPid.set(p.pid());
                            p.destroyForcibly();
                        });
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                killer.setDaemon(true); // a run that ends without scoring again leaves it waiting; the assert below reports that
                killer.start();
                t2.run(false);
                killer.join(10_000);
                assertTrue(killedPid.get() != null, "an executor process was found and killed");
                System.out.println("killed executor pid " + killedPid.get());
                assertClose(single, killed, "run with a killed executor vs single machine");
            }
            assertTrue(master.isAlive() && worker.isAlive());
        } catch (Throwable e) {
            for (String n : List.of("master", "worker")) {
                Path log = dir.resolve(n + ".log");
                if (Files.exists(log)) {
                    List<String> lines = Files.readAllLines(log);
                    System.out.println("---- " + n + " log (tail)");
                    lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
                }
            }
            try (var files = Files.walk(dir.resolve("work"))) { // the executors' logs
                for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
                    List<String> lines = Files.readAllLines(f);
                    System.out.println("---- " + f + " (tail)");
                    lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
                }
            } catch (IOException ignored) {
                // no work directory: no executor was launched
            }
            throw e;
        } finally {
            stopAll();
        }
    }

    /**
     * Rewards that take 100 ms a sample and touch {@code marker} as they start, so the test can kill an executor
     * while one of its tasks is running.
     */
    static final class SlowRewards {
        static RewardFactory factory(String marker) {
            return () -> {
                Reward base = new SparkTestKit.LowercaseFirst();
                Reward slow = new Reward() {
                    @Override
                    public String name() {
                        return base.name();
                    }

                    @Override
                    public double score(Problem p, String completion) {
                        try {
                            Files.writeString(Path.of(marker), "");
                            Thread.sleep(100);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return base.score(p, completion);
                    }
                };
                return new RewardFactory.Rewards(slow, base);
            };
        }
    }

    private static void assertClose(Policy expected, Policy actual, String what) {
        float diff = SparkTestKit.maxAbsDiff(expected.vectors, actual.vectors), scale = SparkTestKit.maxAbs(expected.vectors);
        System.out.printf("%s: max |diff| %.3g relative %.3g%n", what, diff, diff / scale);
        assertTrue(scale > 0.01, "the vectors moved");
        assertTrue(diff <= SparkStepTest.TOLERANCE * scale, what + ": relative difference " + diff / scale);
    }

    /** The executor JVM the worker launched: the worker's only child process, a java. */
    private static Optional<ProcessHandle> executor(Process worker) {
        return worker.children().filter(p -> p.info().command().orElse("").endsWith("java")).findFirst();
    }

    private Process startJvm(Path dir, String name, String mainClass, String... args) throws IOException {
        Process p = SparkTestKit.startJvm(dir, name, mainClass, args);
        started.add(p);
        return p;
    }

    private void stopAll() {
        for (Process p : started.reversed()) {
            p.descendants().forEach(ProcessHandle::destroyForcibly); // executors the worker launched
            p.destroy();
        }
        for (Process p : started) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void waitForAliveWorker(int masterUi, Path dir) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUi + "/json/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (Json.MAPPER.readTree(json).path("aliveworkers").asInt() >= 1) return;
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(300);
        }
        throw new AssertionError("no worker registered with the master within 90 s (logs in " + dir + ")");
    }

    private static void waitUntil(BooleanSupplier cond, int seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out: " + what);
            Thread.sleep(50);
        }
    }

    private static int freePort() throws IOException {
        return SparkTestKit.freePort();
    }
}
