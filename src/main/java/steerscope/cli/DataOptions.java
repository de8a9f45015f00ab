package steerscope.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import picocli.CommandLine.Option;
import steerscope.io.HubCache;
import steerscope.task.Dataset;
import steerscope.task.Problem;
import steerscope.util.UserError;

/**
 * {@code --data FILE|DIR|ID [--split S] [--field-question F] [--field-answer F]}: a JSONL or Parquet file, or a
 * directory or Hub dataset ID (read offline from the local cache) whose files for the split are read together.
 */
final class DataOptions {
    @Option(names = "--data", required = true, paramLabel = "FILE|DIR|ID",
            description = "JSONL or Parquet file, or a dataset directory / Hub dataset ID (owner/name, from the local cache) with --split.")
    String data;

    @Option(names = "--split", paramLabel = "NAME", description = "With a directory or Hub ID: the split whose files are read (default: train for train, test for eval and analyze).")
    String split;

    @Option(names = "--field-question", paramLabel = "COLUMN", description = "The column holding the question (default: question, problem or prompt).")
    String fieldQuestion;

    @Option(names = "--field-answer", paramLabel = "COLUMN",
            description = "The column holding the gold answer (after its last ####, else its last \\boxed{}; default: answer, else solution's \\boxed{}).")
    String fieldAnswer;

    List<Problem> load(String defaultSplit) {
        return load(defaultSplit, HubCache.fromEnvironment());
    }

    List<Problem> load(String defaultSplit, HubCache cache) {
        Path source = cache.resolve(data, null, HubCache.Kind.DATASET);
        Dataset.Fields fields = new Dataset.Fields(fieldQuestion, fieldAnswer);
        if (!Files.isDirectory(source)) {
            if (split != null) throw new UserError("--split applies to a dataset directory or Hub ID, but " + data + " is a file");
            return Dataset.load(source, fields);
        }
        String s = split == null ? defaultSplit : split;
        List<Path> shards = shards(source, s);
        TreeSet<Path> dirs = new TreeSet<>();
        for (Path f : shards) dirs.add(source.relativize(f.getParent()));
        if (dirs.size() > 1) {
            throw UserError.inFile(source, "split '" + s + "' has files in several configurations " + dirs + "; pass one directory as --data, e.g. "
                    + source.resolve(dirs.first()));
        }
        return Dataset.load(shards, source, fields);
    }

    /** The .parquet/.jsonl files of a split: named SPLIT.*, SPLIT-*, or inside a folder named SPLIT; in name order. */
    static List<Path> shards(Path dir, String split) {
        List<Path> found;
        try (Stream<Path> walk = Files.walk(dir, 4)) {
            found = walk.filter(f -> {
                String n = f.getFileName().toString();
                if (!(n.endsWith(".parquet") || n.endsWith(".jsonl")) || !Files.isRegularFile(f)) return false;
                String stem = n.substring(0, n.lastIndexOf('.'));
                if (stem.equals(split) || stem.startsWith(split + "-")) return true;
                for (Path part : dir.relativize(f.getParent())) if (part.toString().equals(split)) return true;
                return false;
            }).sorted().toList();
        } catch (IOException e) {
            throw UserError.inFile(dir, "cannot list: " + e.getMessage());
        }
        if (found.isEmpty()) throw UserError.inFile(dir, "no .parquet or .jsonl files for split '" + split + "' (named " + split + ".*, " + split + "-*, or in a folder " + split + ")");
        return found;
    }
}
