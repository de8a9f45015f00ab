package steerscope.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.cli.Main;

/**
 * A standalone master that cannot be used ends the command within --spark-connect-timeout with one line and exit
 * 2: a closed port, a port that accepts but never answers, a real master with no worker. Loopback only.
 */
class SparkConnectTest {
    @TempDir
    Path dir;

    private List<String> train(SparkTestKit kit, String master, String timeout) throws IOException {
        Path data = Files.writeString(dir.resolve("data.jsonl"), "{\"question\":\"Say something.\",\"answer\":\"7\"}\n");
        return List.of("train", "--model", kit.modelDir.toString(), "--data", data.toString(), "--out", dir.resolve("run").toString(),
                "--steps", "1", "--group", "2", "--prompts-per-step", "1", "--max-new-tokens", "3", "--template", "{question}",
                "--spark", master, "--spark-connect-timeout", timeout);
    }

    @Test
    void aClosedPortIsReportedAtOnce() throws Exception {
        SparkTestKit kit = new SparkTestKit(dir, 3);
        int port = SparkTestKit.freePort(); // bound and closed again: nothing listens there
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(train(kit, "spark://127.0.0.1:" + port, "5").toArray(String[]::new));
        } finally {
            System.setErr(old);
        }
        String e = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(2, code, e);
        assertEquals("error: cannot reach the Spark master spark://127.0.0.1:" + port + ": connection refused by 127.0.0.1:" + port, e);
        assertFalse(Files.exists(dir.resolve("run")), "the refused run created its --out");
    }

    @Test
    void aPortThatNeverAnswersIsGivenUpAfterTheTimeout() throws Exception {
        SparkTestKit kit = new SparkTestKit(dir, 3);
        // the kernel completes the TCP handshake for a listening socket; nobody ever reads or answers
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String master = "spark://127.0.0.1:" + silent.getLocalPort();
            List<String> lines = runMain(train(kit, master, "3"));
            assertEquals(1, lines.size(), "one line, no Spark log, no JDK warning: " + lines);
            assertTrue(lines.get(0).startsWith("error: the Spark master " + master + " accepts connections but did not register the application "
                    + "within 3 s"), lines.get(0));
        }
        assertFalse(Files.exists(dir.resolve("run")));
    }

    @Test
    void aMasterWithoutWorkersSaysItGrantedNoExecutor() throws Exception {
        SparkTestKit kit = new SparkTestKit(dir, 3);
        int port = SparkTestKit.freePort();
        Process master = SparkTestKit.startJvm(dir, "master", "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(SparkTestKit.freePort()));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!listening(port)) {
                assertTrue(master.isAlive() && System.nanoTime() < deadline, () -> "the master did not start: " + read(dir.resolve("master.log")));
                Thread.sleep(200);
            }
            String url = "spark://127.0.0.1:" + port;
            List<String> lines = runMain(train(kit, url, "15")); // the time includes the driver's own start, seconds on a busy machine
            assertEquals(1, lines.size(), "one line: " + lines);
            assertTrue(lines.get(0).startsWith("error: the Spark master " + url + " granted no executor within 15 s (asked for spark.executor.memory=1g"),
                    lines.get(0));
        } finally {
            master.destroy();
            master.waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** Runs the CLI in its own JVM (as the launcher does) and returns its stderr without the incubator-module notice. */
    private List<String> runMain(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--")) cmd.add(a); // the module, native-access, Unsafe and add-opens flags of the pom
        }
        cmd.addAll(List.of("-Dspark.driver.host=127.0.0.1", "-Dspark.driver.bindAddress=127.0.0.1", "-cp", System.getProperty("java.class.path"),
                "steerscope.cli.Main"));
        cmd.addAll(args);
        Path log = dir.resolve("cli.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "the command does not give up");
        List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.equals("WARNING: Using incubator modules: jdk.incubator.vector")).toList();
        assertEquals(2, p.exitValue(), () -> String.join("\n", lines));
        return lines;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
