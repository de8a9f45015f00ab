package steerscope.spark;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import steerscope.model.Checkpoint;
import steerscope.task.PromptTemplate;
import steerscope.task.Prompts;

/**
 * What an executor needs to rebuild the frozen side of the policy: the model directory (the same path on every
 * node, or shared storage) and how problems become prompts (as the CLI's --template/--system/--no-chat).
 * No Spark types here: the CLI builds one without Spark on its classpath.
 */
public record ModelSpec(String modelDir, String template, String system, boolean noChat) implements Serializable {
    /** The checkpoints loaded in this JVM: memory-mapped once, then shared by every task and step that runs here. */
    private static final ConcurrentHashMap<String, Checkpoint> LOADED = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    public static ModelSpec of(Path modelDir, String template, String system, boolean noChat) {
        return new ModelSpec(modelDir.toAbsolutePath().normalize().toString(), template, system, noChat);
    }

    /** The model of this JVM for the directory, loading it on first use. */
    public Checkpoint load() {
        return LOADED.computeIfAbsent(modelDir, d -> open(Path.of(d)));
    }

    /** How many times this JVM has loaded a model (tests: once per directory, however many tasks and steps). */
    static int loads() {
        return LOADS.get();
    }

    private static Checkpoint open(Path dir) {
        LOADS.incrementAndGet();
        return Checkpoint.open(dir);
    }

    /** The prompts as the CLI's PromptOptions builds them (the chat template when the model has one). */
    public Prompts prompts(Checkpoint m) {
        PromptTemplate t = new PromptTemplate(template == null ? PromptTemplate.DEFAULT_TEMPLATE : template, system);
        return new Prompts(m.tokenizer(), t, noChat ? null : m.chat());
    }
}
