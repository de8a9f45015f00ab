package steerscope.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model DIR|ID [--revision R]}: a checkpoint directory or a Hub model ID from the local cache. */
final class ModelOption {
    @Option(names = "--model", required = true, paramLabel = "DIR|ID",
            description = "A checkpoint directory, or a Hub model ID (owner/name) found offline in the local Hugging Face cache.")
    String model;

    @Option(names = "--revision", paramLabel = "REV", description = "With a Hub ID: a branch, tag or commit hash (default: main).")
    String revision;

    Path dir() {
        return ModelFiles.resolve(model, revision);
    }
}
