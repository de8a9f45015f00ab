package steerscope.rl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.io.AtomicFiles;
import steerscope.io.FileTrees;
import steerscope.io.IoErrors;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.model.AdaptiveScale;
import steerscope.model.HfModelExport;
import steerscope.model.Model;
import steerscope.model.SteeringVectors;
import steerscope.rl.optim.AdamW;
import steerscope.steer.VectorFiles;
import steerscope.util.Interrupts;
import steerscope.util.UserError;

/**
 * The files of a training run: {@code config.json}, {@code metrics.jsonl}, {@code checkpoints/step-NNNNNN/} (each
 * file written atomically, the directory renamed into place) with {@code checkpoints/latest} naming the newest,
 * {@code bad-steps/} (the prompts of skipped steps), and at the end {@code vectors.safetensors} (vectors) or
 * {@code model/} (full fine-tune, HF format).
 */
public final class RunDirectory {
    /** Everything a run writes in its directory (train --overwrite removes exactly these). */
    public static final List<String> FILES = List.of("config.json", "metrics.jsonl", "checkpoints", "bad-steps", "vectors.safetensors",
            AdaptiveScale.FILE, "model");

    private final Path dir;

    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    public Path path() {
        return dir;
    }

    private Path metrics() {
        return dir.resolve("metrics.jsonl");
    }

    private Path checkpoints() {
        return dir.resolve("checkpoints");
    }

    /**
     * Starts a run (writes config.json and an empty metrics.jsonl) or, with {@code resume} and a checkpoint,
     * restores the parameters and the optimizer from it; returns the step to continue from.
     */
    int open(RlConfig cfg, boolean resume, List<AdamW.Param> params, AdamW adam) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw UserError.inFile(dir, "cannot create the run directory: " + IoErrors.describe(e));
        }
        Path cfgFile = dir.resolve("config.json");
        Path latest = checkpoints().resolve("latest");
        if (resume && Files.isRegularFile(latest)) {
            RlConfig saved = RlConfig.fromJson(cfgFile);
            if (!Json.write(saved).equals(Json.write(cfg))) {
                throw UserError.inFile(cfgFile, "--resume with a different configuration than the run was started with");
            }
            return restore(latest, params, adam);
        }
        if (!resume && Files.exists(latest)) {
            throw UserError.inFile(dir, "holds a previous run; pass --resume to continue it or choose another --out");
        }
        AtomicFiles.writeString(cfgFile, cfg.toJson());
        AtomicFiles.writeString(metrics(), "");
        return 0;
    }

    void appendMetrics(StepMetrics m) {
        try {
            Files.writeString(metrics(), Json.write(m) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw UserError.inFile(metrics(), "cannot append: " + IoErrors.describe(e));
        }
    }

    /** Saves the prompts of a skipped step for debugging; returns the file. */
    Path saveBadBatch(int step, long seed, List<RolloutStep.Item> items, String reason) {
        Path file = dir.resolve("bad-steps").resolve(String.format(Locale.ROOT, "step-%06d.json", step));
        List<Map<String, Object>> prompts = new ArrayList<>();
        for (RolloutStep.Item it : items) {
            prompts.add(Map.of("index", it.index(), "id", it.problem().id(), "question", it.problem().question(), "answer", it.problem().answer()));
        }
        AtomicFiles.writeString(file, Json.writePretty(Map.of("step", step, "reason", reason, "seed", seed, "prompts", prompts)));
        return file;
    }

    /**
     * Writes step-N as a temp directory renamed into place, then points checkpoints/latest at it. When the disk
     * is full or read-only the temp directory is removed and the error says which checkpoint is still good.
     * Ctrl-C waits for it: no temp directory is left.
     */
    void checkpoint(int nextStep, List<AdamW.Param> params, AdamW adam) {
        Interrupts.critical(() -> writeCheckpoint(nextStep, params, adam));
    }

    private void writeCheckpoint(int nextStep, List<AdamW.Param> params, AdamW adam) {
        Path dir = checkpoints();
        String name = String.format(Locale.ROOT, "step-%06d", nextStep);
        Path tmp = dir.resolve("." + name + ".tmp");
        try {
            Files.createDirectories(dir);
            FileTrees.delete(tmp);
            Files.createDirectories(tmp);
            writeParams(params, tmp.resolve("params.safetensors"));
            adam.save(tmp.resolve("optimizer.safetensors"));
            AtomicFiles.writeString(tmp.resolve("state.json"), Json.write(Map.of("next_step", nextStep)));
            // metrics up to this step, so a resume can cut metrics.jsonl back to what the checkpoint holds
            AtomicFiles.writeBytes(tmp.resolve("metrics.jsonl"), Files.readAllBytes(metrics()));
            Path target = dir.resolve(name);
            FileTrees.delete(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.syncDirectory(dir); // step-N is on disk before latest names it
            AtomicFiles.writeString(dir.resolve("latest"), name + "\n");
            try (var old = Files.list(dir)) { // keep the newest two
                List<Path> steps = old.filter(p -> p.getFileName().toString().startsWith("step-")).sorted().toList();
                for (int i = 0; i < steps.size() - 2; i++) FileTrees.delete(steps.get(i));
            }
        } catch (IOException | UserError e) {
            try {
                FileTrees.delete(tmp); // a full disk needs the space back; the directory was never a checkpoint
            } catch (IOException ignored) {
                // read-only: nothing was written to remove
            }
            String why = e instanceof UserError ? e.getMessage() : IoErrors.describe(e);
            throw UserError.inFile(dir, "cannot write checkpoint " + name + " (" + why + "); the last good checkpoint is "
                    + lastCheckpoint());
        }
    }

    /** The newest whole checkpoint's directory, or "none". */
    String lastCheckpoint() {
        try {
            return checkpoints().resolve(Files.readString(checkpoints().resolve("latest")).trim()).toString();
        } catch (IOException e) {
            return "none";
        }
    }

    /** What an interrupted run says: the checkpoint it kept and the command that continues from it. */
    public static String resumeHint(Path runDir) {
        String last = new RunDirectory(runDir).lastCheckpoint();
        return last.equals("none") ? "no checkpoint was written yet; run the same command with --resume to start again"
                : "the last checkpoint, " + last + ", is whole; run the same command with --resume to continue from it";
    }

    private int restore(Path latest, List<AdamW.Param> params, AdamW adam) {
        try {
            Path cp = latest.getParent().resolve(Files.readString(latest).trim());
            JsonNode state = Json.read(cp.resolve("state.json"));
            int next = state.get("next_step").asInt();
            readParams(params, cp.resolve("params.safetensors"));
            adam.load(cp.resolve("optimizer.safetensors"));
            AtomicFiles.writeBytes(metrics(), Files.readAllBytes(cp.resolve("metrics.jsonl")));
            System.err.println("resuming " + dir + " at step " + next);
            return next;
        } catch (IOException e) {
            throw UserError.inFile(latest, "cannot resume: " + IoErrors.describe(e));
        }
    }

    private static void writeParams(List<AdamW.Param> params, Path file) {
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (AdamW.Param p : params) w.add(p.name(), new long[] {p.value().length}, p.value());
        w.write(file);
    }

    private static void readParams(List<AdamW.Param> params, Path file) {
        try (SafeTensors st = SafeTensors.open(file)) {
            for (AdamW.Param p : params) {
                float[] v = st.floats(p.name());
                if (v.length != p.value().length) throw UserError.inFile(file, "tensor '" + p.name() + "' has the wrong size");
                System.arraycopy(v, 0, p.value(), 0, v.length);
            }
        }
    }

    void writeVectors(SteeringVectors vectors) {
        VectorFiles.write(vectors, dir.resolve("vectors.safetensors"));
    }

    /** Like a checkpoint: a temp directory renamed into place, so model/ is never half written. */
    void writeModel(Model model) {
        Path tmp = dir.resolve(".model.tmp"), target = dir.resolve("model");
        try {
            FileTrees.delete(tmp); // left by a kill during an earlier final save
            HfModelExport.write(model, tmp);
            FileTrees.delete(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.syncDirectory(dir);
        } catch (IOException e) {
            throw UserError.inFile(target, "cannot save the model: " + e.getMessage());
        }
    }
}
